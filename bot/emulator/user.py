"""A test (or the offline demo) acting as a Telegram user, and reading the chat as they see it."""

from __future__ import annotations

from typing import Any

from bot.emulator.objects import private_chat, user_object
from bot.emulator.world import ChatMessage, World


class EmulatedUser:
    """One person in a private chat with the bot."""

    def __init__(self, world: World, user: dict[str, Any]) -> None:
        self.world = world
        self.user = user
        self.id: int = user["id"]

    def send(self, text: str) -> dict[str, Any]:
        """Type and send `text`; returns the update the bot will receive."""
        message = self.world.add_message(self.id, from_bot=False, text=text)
        return self.world.emit(message=self.world.message_object(message))

    def send_contact(self, phone_number: str, *, own: bool = True) -> dict[str, Any]:
        """Share a contact; `own=True` is the "share my phone number" button (user_id set)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": "Contact"}
        if own:
            contact.update(first_name=self.user["first_name"], user_id=self.id)
        message = self.world.add_message(self.id, from_bot=False, contact=contact)
        return self.world.emit(message=self.world.message_object(message))

    def press(self, label: str, message: ChatMessage | None = None) -> dict[str, Any]:
        """Press the inline button with text (or callback data) `label` on a bot message."""
        target = message or self._last_with_button(label)
        button = next(b for b in target.buttons() if label in (b["text"], b.get("callback_data")))
        query = {
            "id": self.world.new_callback_id(),
            "from": self.user,
            "message": self.world.message_object(target),
            "chat_instance": str(self.id * 7919),
            "data": button["callback_data"],
        }
        return self.world.emit(callback_query=query)

    def _last_with_button(self, label: str) -> ChatMessage:
        for message in reversed(self.visible()):
            if any(label in (b["text"], b.get("callback_data")) for b in message.buttons()):
                return message
        raise LookupError(f"no message with a button {label!r} in chat {self.id}")

    def block(self) -> None:
        self.world.blocked.add(self.id)

    def unblock(self) -> None:
        self.world.blocked.discard(self.id)

    def visible(self) -> list[ChatMessage]:
        """The chat as the user sees it: both sides, edits applied, deleted ones gone."""
        return [m for m in self.world.chats.get(self.id, []) if not m.deleted]

    def received(self) -> list[ChatMessage]:
        """Only what the bot sent."""
        return [m for m in self.visible() if m.from_bot]

    def texts(self) -> list[str]:
        return [m.text or m.caption or "" for m in self.received()]

    async def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[ChatMessage]:
        await self.world.wait_until(lambda: len(self.received()) >= count, timeout)
        return self.received()


def new_user(world: World, user_id: int, first_name: str, **extra: Any) -> EmulatedUser:
    user = user_object(user_id, first_name, **extra)
    world.users[user_id] = user
    assert private_chat(user)["id"] == user_id
    return EmulatedUser(world, user)
