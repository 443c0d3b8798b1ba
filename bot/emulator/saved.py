"""The emulator's chats as a plain JSON document, and back: how the offline demo keeps its
conversation (messages, buttons, documents, the reply keyboard, updates not yet fetched) and
its update numbering across restarts, as Telegram keeps them for a real bot.

Pure conversion; where the document is stored is the demo's business (bot.demo_chat).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from bot.emulator.updates import UpdateFeed
from bot.emulator.webchat import WebChat
from bot.emulator.world import ChatMessage, Document, World

FORMAT = 1
FILE_PREFIX = "BQACAgIAAxkBAAI"
# wall-clock time = monotonic time + this, fixed per process so a snapshot is the same document
# until something changes (a message's time is kept as wall-clock time across processes)
_WALL = time.time() - time.monotonic()


def snapshot(world: World, webchat: WebChat, feed: UpdateFeed) -> dict[str, Any]:
    """Everything a restarted emulator needs to show and continue the conversations."""
    return {
        "format": FORMAT,
        "last_update_id": world.last_update_id,
        "users": [dict(user) for user in world.users.values()],
        "messages": [
            _message(m, round(m.received_at + _WALL, 3))
            for chat in world.chats.values()
            for m in chat
        ],
        "sources": [[chat, message, html] for (chat, message), html in webchat.sources.items()],
        "keyboards": [[chat, markup] for chat, markup in webchat.keyboards.items()],
        "pending": list(feed.pending),
    }


def restore(world: World, webchat: WebChat, feed: UpdateFeed, state: dict[str, Any]) -> None:
    """Put a snapshot back into a fresh emulator (before its first update)."""
    if state.get("format") != FORMAT:
        return
    for user in state["users"]:
        world.users[int(user["id"])] = user
    next_file = 1
    for saved in state["messages"]:
        message = _chat_message(saved, float(saved["at"]) - _WALL)
        world.chats.setdefault(message.chat_id, []).append(message)
        if message.document is not None and message.document.file_id.startswith(FILE_PREFIX):
            number = message.document.file_id.removeprefix(FILE_PREFIX)
            next_file = max(next_file, int(number) + 1 if number.isdigit() else 1)
    for chat_id, messages in world.chats.items():
        world.continue_numbering(chat_id, max(m.message_id for m in messages) + 1, next_file)
    webchat.sources.update({(int(c), int(m)): html for c, m, html in state["sources"]})
    webchat.keyboards.update({int(chat): markup for chat, markup in state["keyboards"]})
    feed.pending.extend(state["pending"])
    world.continue_update_ids_from(int(state["last_update_id"]) + 1)
    world.changed()


def _message(m: ChatMessage, at: float) -> dict[str, Any]:
    document = None
    if m.document is not None:
        d = m.document
        content = base64.b64encode(d.content).decode()
        document = {"file_id": d.file_id, "name": d.file_name, "mime": d.mime_type, "b64": content}
    return {
        "chat_id": m.chat_id,
        "message_id": m.message_id,
        "from_bot": m.from_bot,
        "date": m.date,
        "text": m.text,
        "reply_markup": m.reply_markup,
        "document": document,
        "caption": m.caption,
        "contact": m.contact,
        "edit_count": m.edit_count,
        "deleted": m.deleted,
        "at": at,
    }


def _chat_message(saved: dict[str, Any], received_at: float) -> ChatMessage:
    d = saved.get("document")
    document = None
    if d is not None:
        document = Document(d["file_id"], d["name"], d["mime"], base64.b64decode(d["b64"]))
    return ChatMessage(
        message_id=int(saved["message_id"]),
        chat_id=int(saved["chat_id"]),
        from_bot=bool(saved["from_bot"]),
        date=int(saved["date"]),
        text=saved.get("text"),
        reply_markup=saved.get("reply_markup"),
        document=document,
        caption=saved.get("caption"),
        contact=saved.get("contact"),
        received_at=received_at,
        edit_count=int(saved.get("edit_count", 0)),
        deleted=bool(saved.get("deleted", False)),
    )
