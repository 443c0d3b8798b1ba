"""Outbox rows to Telegram messages: `templates/bot/<kind>.html` under gettext, split to fit,
with the buttons of their kind (`bot.keyboards.for_outbox`) unless the payload brings its own.

A credit note (CAPTIONED_KINDS) travels as one document whose caption is the text and which
carries the buttons, when the text fits a caption.

An unknown kind, or a template that cannot render this payload, falls back to
`bot/generic.html`: a customer gets a plain message rather than nothing (T8), and the worker
never crashes on a row it does not understand.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from jinja2 import TemplateError, TemplateNotFound

from bot import keyboards
from bot.transport.splitter import split_html
from support_desk.core.texts import Texts

log = logging.getLogger(__name__)
CALLBACK_DATA_LIMIT = 64
CAPTION_LIMIT = 1024
# kinds whose document is the record itself: the text is its caption and the buttons sit on
# it, so a later change (an undo marking it VOID) edits the document's own message
CAPTIONED_KINDS = frozenset({"credit_note_issued"})
GENERIC = "bot/generic.html"
_KIND = re.compile(r"^[a-z0-9_]{1,64}$")

# (kind, payload, locale) -> (file name, content), or None when the row carries no document
DocumentLoader = Callable[[str, Mapping[str, Any], str], Awaitable[tuple[str, bytes] | None]]


class RenderError(ValueError):
    """The row can never be sent as it is (a bad button); delivery gives up on it."""


@dataclass(frozen=True, slots=True)
class Part:
    """One Bot API call: a text message (with its keyboard) or a document."""

    text: str | None = None
    keyboard: InlineKeyboardMarkup | None = None
    document: tuple[str, bytes] | None = None
    caption: str | None = None  # a document's, Telegram HTML


class Renderer:
    """Turns (kind, payload, locale) into the parts to send, in order."""

    def __init__(self, texts: Texts, document_loader: DocumentLoader | None = None) -> None:
        self.texts = texts
        self.document_loader = document_loader

    async def render(self, kind: str, payload: Mapping[str, Any], locale: str) -> list[Part]:
        text = self.text(kind, payload, locale)
        keyboard = self.keyboard(payload.get("buttons"), locale) or keyboards.for_outbox(
            kind, payload, self.texts, locale
        )
        loader = self.document_loader
        document = await loader(kind, payload, locale) if loader else None
        if document is not None and kind in CAPTIONED_KINDS and len(text) <= CAPTION_LIMIT:
            return [Part(document=document, keyboard=keyboard, caption=text or None)]
        chunks = split_html(text) if text else []
        parts = [Part(text=chunk) for chunk in chunks]
        if parts:
            parts[-1] = Part(text=parts[-1].text, keyboard=keyboard)
        if document is not None:
            parts.append(Part(document=document, keyboard=None if parts else keyboard))
        return parts

    def text(self, kind: str, payload: Mapping[str, Any], locale: str) -> str:
        names = [f"bot/{kind}.html", GENERIC] if _KIND.match(kind) else [GENERIC]
        context = {key: value for key, value in payload.items() if key.isidentifier()}
        environment = self.texts.environment(locale)
        for name in names:
            try:
                template = environment.get_template(name)
                return template.render(**context, payload=dict(payload), kind=kind).strip()
            except TemplateNotFound:
                continue
            except TemplateError as exc:
                log.warning("template %s failed for outbox kind %r: %s", name, kind, exc)
        raise RenderError(f"no template renders kind {kind!r}")

    def keyboard(self, rows: Any, locale: str) -> InlineKeyboardMarkup | None:
        """Buttons from the payload, `[[{"text", "callback_data" | "url"}]]`; labels translated."""
        if not rows:
            return None
        return InlineKeyboardMarkup(
            inline_keyboard=[[self._button(spec, locale) for spec in row] for row in rows]
        )

    def _button(self, spec: Mapping[str, Any], locale: str) -> InlineKeyboardButton:
        label = self.texts.gettext(str(spec["text"]), locale)
        if "url" in spec:
            return InlineKeyboardButton(text=label, url=str(spec["url"]))
        data = str(spec["callback_data"])
        if not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise RenderError(f"callback_data must be 1-64 bytes, got {len(data.encode())}")
        return InlineKeyboardButton(text=label, callback_data=data)
