"""Customer messages to Telegram messages: `templates/bot/<kind>.html` under gettext, split to
fit, with the buttons and the document their type calls for (`bot.keyboards.for_message`, the
document loader).

An outbox row is read back as its type (`support_desk.core.messages`). A row of a kind no type
claims (queued by an old-style `notify("kind", **payload)` call) renders the old way: the
template named by its kind with the payload as context, no buttons, no document. A row whose
payload does not fit its type, or a template that fails, falls back to `bot/generic.html` and is
logged as an error: a customer gets a plain message rather than nothing (T8), and the worker never
crashes on a row it does not understand.

A credit note (CAPTIONED_KINDS) travels as one document whose caption is the text and which
carries the buttons, when the text fits a caption: a later change (an undo marking it VOID)
then edits the document's own message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from jinja2 import TemplateError, TemplateNotFound

from bot import keyboards
from bot.transport.splitter import split_html
from support_desk.core.messages import CustomerMessage, MessageUnreadable, read_message
from support_desk.core.texts import Texts

log = logging.getLogger(__name__)
CALLBACK_DATA_LIMIT = 64
CAPTION_LIMIT = 1024
# kinds whose document is the record itself: the text is its caption and the buttons sit on
# it, so a later change (an undo marking it VOID) edits the document's own message
CAPTIONED_KINDS = frozenset({"credit_note_issued"})
GENERIC = "bot/generic.html"
_KIND = re.compile(r"^[a-z0-9_]{1,64}$")

# (message, locale) -> (file name, content), or None when the message carries no document
DocumentLoader = Callable[[CustomerMessage, str], Awaitable[tuple[str, bytes] | None]]


def message_text(texts: Texts, message: CustomerMessage, locale: str) -> str:
    """The message's own template with its fields; raises when the template is missing or fails
    (the bot's handlers and the tests use it; delivery falls back instead)."""
    template = texts.environment(locale).get_template(f"bot/{message.kind}.html")
    return template.render(**vars(message)).strip()


class RenderError(ValueError):
    """The row can never be sent as it is (not even the generic text renders it)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One Bot API call: a text message (with its keyboard) or a document."""

    text: str | None = None
    keyboard: InlineKeyboardMarkup | None = None
    document: tuple[str, bytes] | None = None
    caption: str | None = None  # a document's, Telegram HTML


class Renderer:
    """Turns an outbox row, or a typed message, into the parts to send, in order."""

    def __init__(self, texts: Texts, document_loader: DocumentLoader | None = None) -> None:
        self.texts = texts
        self.document_loader = document_loader

    async def render_row(self, kind: str, payload: Mapping[str, Any], locale: str) -> list[Part]:
        try:
            message = read_message(kind, payload)
        except MessageUnreadable:
            log.exception("outbox row of kind %r is unreadable; sending the generic text", kind)
            return _parts(self._untyped_text(GENERIC, {}, locale), None, None)
        if message is None:
            return _parts(self.untyped_text(kind, payload, locale), None, None)
        return await self.render(message, locale)

    async def render(self, message: CustomerMessage, locale: str) -> list[Part]:
        try:
            text = self.text(message, locale)
        except TemplateError:
            log.exception("template for %r failed; sending the generic text", message.kind)
            text = self._untyped_text(GENERIC, {}, locale)
        keyboard = keyboards.for_message(message, self.texts, locale)
        loader = self.document_loader
        document = await loader(message, locale) if loader else None
        if document is not None and message.kind in CAPTIONED_KINDS and len(text) <= CAPTION_LIMIT:
            return [Part(document=document, keyboard=keyboard, caption=text or None)]
        return _parts(text, keyboard, document)

    def text(self, message: CustomerMessage, locale: str) -> str:
        return message_text(self.texts, message, locale)

    def untyped_text(self, kind: str, payload: Mapping[str, Any], locale: str) -> str:
        """Transitional: a kind no type claims, by the template its name gives, else generic."""
        if _KIND.match(kind):
            try:
                return self._untyped_text(f"bot/{kind}.html", payload, locale, kind)
            except TemplateNotFound:
                pass
            except TemplateError as exc:
                log.warning("template for outbox kind %r failed: %s", kind, exc)
        return self._untyped_text(GENERIC, payload, locale, kind)

    def _untyped_text(
        self, name: str, payload: Mapping[str, Any], locale: str, kind: str = ""
    ) -> str:
        context = {key: value for key, value in payload.items() if key.isidentifier()}
        template = self.texts.environment(locale).get_template(name)
        try:
            return template.render(**context, payload=dict(payload), kind=kind).strip()
        except TemplateError as exc:
            if name == GENERIC:
                raise RenderError(f"no template renders kind {kind!r}") from exc
            raise


def _parts(
    text: str, keyboard: InlineKeyboardMarkup | None, document: tuple[str, bytes] | None
) -> list[Part]:
    """The text in chunks that fit, the keyboard under the last one, then the document (which
    carries the keyboard when there is no text)."""
    parts = [Part(text=chunk) for chunk in (split_html(text) if text else [])]
    if parts:
        parts[-1] = Part(text=parts[-1].text, keyboard=keyboard)
    if document is not None:
        parts.append(Part(document=document, keyboard=None if parts else keyboard))
    return parts
