"""Which Telegram chat a customer's messages go to (written when a link is proven)."""

from __future__ import annotations

from sqlalchemy import update

from bot.models import TelegramChat
from support_desk.core.tx import UnitOfWork


async def link_chat(
    uow: UnitOfWork, customer_id: int, telegram_user_id: int, chat_id: int, language: str = "en"
) -> None:
    """Point `customer_id` at this private chat; a later link replaces an earlier one."""
    chat = await uow.session.get(TelegramChat, customer_id)
    if chat is None:
        chat = TelegramChat(customer_id=customer_id, linked_at=uow.now)
        uow.session.add(chat)
    chat.telegram_user_id, chat.chat_id, chat.language = telegram_user_id, chat_id, language
    chat.linked_at, chat.blocked_at = uow.now, None


async def chat_active(uow: UnitOfWork, chat_id: int) -> None:
    """A user who writes to the bot has unblocked it: deliver to them again."""
    await uow.session.execute(
        update(TelegramChat)
        .where(TelegramChat.chat_id == chat_id, TelegramChat.blocked_at.is_not(None))
        .values(blocked_at=None)
        .execution_options(synchronize_session=False)
    )
