"""The emulator's memory: users, chats as each side sees them, pending updates, scripted faults.

Every change wakes whoever waits in `wait_until`, so tests wait for a condition, never a sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.objects import ApiError, private_chat, too_many_requests


@dataclass(slots=True)
class Document:
    file_id: str
    file_name: str
    mime_type: str
    content: bytes

    def to_api(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_id[-16:],
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


@dataclass(slots=True)
class ChatMessage:
    """One message in a chat, with what the user sees now (after edits)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: Document | None = None
    caption: str | None = None
    contact: dict[str, Any] | None = None
    received_at: float = field(default_factory=time.monotonic)
    edit_count: int = 0
    deleted: bool = False

    def buttons(self) -> list[dict[str, Any]]:
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass(slots=True)
class Fault:
    """Answer `method` with an error `times` times (optionally only for one chat)."""

    method: str
    error_code: int
    description: str
    retry_after: int | None = None
    times: int = 1
    chat_id: int | None = None

    def error(self) -> ApiError:
        if self.error_code == 429:
            return too_many_requests(self.retry_after or 1)
        return ApiError(self.error_code, self.description, self.retry_after)


@dataclass(slots=True)
class Call:
    method: str
    chat_id: int | None
    at: float
    status: int


@dataclass(slots=True)
class CallbackRecord:
    created_at: float
    answered_at: float | None = None
    answer: str | None = None


class World:
    """State shared by the HTTP face and the test-facing user helpers."""

    def __init__(self, bot_id: int, bot_username: str) -> None:
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Support Desk",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.chats: dict[int, list[ChatMessage]] = {}
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.callbacks: dict[str, CallbackRecord] = {}
        self.update_times: dict[int, float] = {}
        # (scope as JSON, language code) -> the bot's commands there (setMyCommands)
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._update_ids = itertools.count(100_000_001)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.last_update_id = 100_000_000
        self.version = 0  # counts changes, so a keeper of the chats knows when to save them
        self._changed = asyncio.Event()
        self.on_update: Callable[[dict[str, Any]], None] = lambda update: None

    def changed(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds after some change; TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            while not condition():
                await self._changed.wait()

    def fault_for(self, method: str, chat_id: int | None) -> ApiError | None:
        for fault in self.faults:
            wanted = fault.chat_id is None or fault.chat_id == chat_id
            if fault.method == method and fault.times > 0 and wanted:
                fault.times -= 1
                return fault.error()
        return None

    def record_call(self, method: str, chat_id: int | None, status: int) -> None:
        self.calls.append(Call(method, chat_id, time.monotonic(), status))
        self.changed()

    def add_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> ChatMessage:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message = ChatMessage(next(counter), chat_id, from_bot, int(time.time()), **fields)
        self.chats.setdefault(chat_id, []).append(message)
        self.changed()
        return message

    def find(self, chat_id: int, message_id: int) -> ChatMessage | None:
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def new_file_id(self) -> str:
        return f"BQACAgIAAxkBAAI{next(self._file_ids):012d}"

    def emit(self, **payload: Any) -> dict[str, Any]:
        """Create an update (message or callback_query) and hand it to the delivery side."""
        update = {"update_id": next(self._update_ids), **payload}
        self.last_update_id = update["update_id"]
        self.update_times[update["update_id"]] = time.monotonic()
        self.on_update(update)
        self.changed()
        return update

    def continue_update_ids_from(self, first: int) -> None:
        """Number the next updates from `first`: a new emulator over a database that an earlier
        one filled must not reuse its update ids, or the inbox rightly drops them as repeats."""
        self._update_ids = itertools.count(first)
        self.last_update_id = first - 1

    def continue_numbering(self, chat_id: int, next_message_id: int, next_file: int) -> None:
        """After a restore: a chat's next message id, and the next file id of all chats."""
        self._message_ids[chat_id] = itertools.count(next_message_id)
        self._file_ids = itertools.count(max(next_file, next(self._file_ids)))

    def new_callback_id(self) -> str:
        query_id = f"{next(self._callback_ids)}{self.bot_user['id']}"
        self.callbacks[query_id] = CallbackRecord(created_at=time.monotonic())
        return query_id

    def message_object(self, message: ChatMessage) -> dict[str, Any]:
        """The Bot API Message for `message`, as the bot receives or is answered it."""
        user = self.users[message.chat_id]
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": private_chat(user),
            "from": self.bot_user if message.from_bot else user,
        }
        if message.edit_count:
            body["edit_date"] = int(time.time())
        optional = {
            "text": message.text,
            "caption": message.caption,
            "contact": message.contact,
            "reply_markup": message.reply_markup,
            "document": message.document.to_api() if message.document else None,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return body
