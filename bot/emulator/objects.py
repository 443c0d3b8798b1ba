"""Bot API object shapes and error answers, as documented at core.telegram.org/bots/api.

Kept as plain dicts: the emulator must speak the wire format, not aiogram's models, so that a
mismatch between the two shows up in tests instead of being hidden by shared code.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.transport.splitter import CAPTION_LIMIT, MESSAGE_LIMIT, utf16_len

ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
CALLBACK_DATA_LIMIT = 64


class ApiError(Exception):
    """An error answer: HTTP status = error_code, as Telegram sends it."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def user_object(
    user_id: int,
    first_name: str,
    *,
    is_bot: bool = False,
    username: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    if "username" in user:
        chat["username"] = user["username"]
    return chat


def plain_text(text: str, parse_mode: str | None) -> str:
    """What the user reads: tags removed and entities decoded when parse_mode is HTML."""
    if (parse_mode or "").upper() != "HTML":
        return text
    check_html(text)
    return html.unescape(_TAG.sub("", text))


def check_html(text: str) -> None:
    """Refuse what Telegram refuses: tags outside its subset, unbalanced tags."""
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        offset = len(text[: match.start()].encode())
        if name not in ALLOWED_TAGS:
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
            )
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise bad_request(f"can't parse entities: Unexpected end tag at byte offset {offset}")
    if stack:
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )


def check_text(text: str, *, caption: bool = False) -> None:
    limit = CAPTION_LIMIT if caption else MESSAGE_LIMIT
    if not caption and not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")


def check_markup(markup: dict[str, Any] | None) -> None:
    """Inline buttons: callback_data is 1-64 bytes (BUTTON_DATA_INVALID otherwise)."""
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
