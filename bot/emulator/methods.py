"""The Bot API methods the project uses, each a function of (world, params) -> result.

Parameters arrive as aiogram sends them (multipart or urlencoded form, JSON-encoded values) or
as a JSON body; `Params` hides the difference.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.web_request import FileField

from bot.emulator.objects import (
    ApiError,
    bad_request,
    check_markup,
    check_text,
    plain_text,
)
from bot.emulator.world import ChatMessage, Document, World


class Params:
    """Typed access to a request's parameters, whatever their encoding."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        return default if value is None else str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def required(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or str(value).lower() in ("true", "1")


Method = Callable[[World, Params], Awaitable[Any]]


def chat_of(world: World, params: Params) -> int:
    """The target chat, refusing as Telegram does when it is unknown or has blocked the bot."""
    chat_id = params.required("chat_id")
    if chat_id not in world.users:
        raise bad_request("chat not found")
    if chat_id in world.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat_id


def _markup(params: Params) -> dict[str, Any] | None:
    markup = params.json("reply_markup")
    check_markup(markup)
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


async def send_message(world: World, params: Params) -> dict[str, Any]:
    chat_id = chat_of(world, params)
    text = plain_text(params.text("text", "") or "", params.text("parse_mode"))
    check_text(text)
    message = world.add_message(chat_id, from_bot=True, text=text, reply_markup=_markup(params))
    return world.message_object(message)


async def send_document(world: World, params: Params) -> dict[str, Any]:
    chat_id = chat_of(world, params)
    caption = plain_text(params.text("caption", "") or "", params.text("parse_mode"))
    check_text(caption, caption=True)
    document = _document(world, params, params.raw("document"))
    message = world.add_message(
        chat_id,
        from_bot=True,
        document=document,
        caption=caption or None,
        reply_markup=_markup(params),
    )
    return world.message_object(message)


def _document(world: World, params: Params, value: Any) -> Document:
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.raw(value.removeprefix("attach://"))
    if isinstance(value, FileField):
        content = value.file.read()
        if not content:
            raise bad_request("file must be non-empty")
        return Document(world.new_file_id(), value.filename, value.content_type, content)
    if isinstance(value, str) and value:
        return Document(value, "document", "application/octet-stream", b"")
    raise bad_request("there is no document in the request")


def _own_message(world: World, params: Params) -> ChatMessage:
    chat_id = chat_of(world, params)
    message = world.find(chat_id, params.required("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


async def edit_message_text(world: World, params: Params) -> dict[str, Any]:
    message = _own_message(world, params)
    text = plain_text(params.text("text", "") or "", params.text("parse_mode"))
    check_text(text)
    markup = _markup(params)
    if text == message.text and markup == message.reply_markup:
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message.text, message.reply_markup = text, markup
    message.edit_count += 1
    world.changed()
    return world.message_object(message)


async def edit_message_reply_markup(world: World, params: Params) -> dict[str, Any]:
    message = _own_message(world, params)
    markup = _markup(params)
    if markup == message.reply_markup:
        raise bad_request("message is not modified")
    message.reply_markup = markup
    message.edit_count += 1
    world.changed()
    return world.message_object(message)


async def delete_message(world: World, params: Params) -> bool:
    chat_id = chat_of(world, params)
    message = world.find(chat_id, params.required("message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    world.changed()
    return True


async def answer_callback_query(world: World, params: Params) -> bool:
    record = world.callbacks.get(params.text("callback_query_id") or "")
    if record is None or record.answered_at is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    record.answered_at = time.monotonic()
    record.answer = params.text("text")
    world.changed()
    return True


async def get_me(world: World, params: Params) -> dict[str, Any]:
    return world.bot_user


METHODS: dict[str, Method] = {
    "getme": get_me,
    "sendmessage": send_message,
    "senddocument": send_document,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
}
