"""Which Telegram chat a customer's messages go to (written when a link is proven)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import TelegramChat
from support_desk.core.actors import Actor
from support_desk.core.db import serialize_on
from support_desk.core.outbox import OutboxRow, OutboxStatus
from support_desk.core.tx import UnitOfWork

CHAT_LINK_LOCK = 0x5D_C1  # serialize_on namespace: linking a customer vs "no chat" decisions


@dataclass(frozen=True, slots=True)
class ChatLink:
    """The customer a Telegram user has proven to be; read afresh for every update."""

    customer_id: int
    chat_id: int
    language: str

    @property
    def actor(self) -> Actor:
        return Actor.customer(self.customer_id)


async def link_chat(
    uow: UnitOfWork, customer_id: int, telegram_user_id: int, chat_id: int, language: str = "en"
) -> None:
    """Point `customer_id` at this private chat; a later link replaces an earlier one, and a
    Telegram user is linked to one customer at a time.

    Messages that found no chat before (T8: never lost) are put back in the queue, so e.g. an
    invoice delivered before the customer linked reaches them now. The lock makes a delivery
    worker deciding "no chat, undeliverable" for this customer wait for this link, or finish
    before it so that the rows it closes are revived here."""
    await serialize_on(uow.session, CHAT_LINK_LOCK, customer_id)
    await uow.session.execute(
        delete(TelegramChat)
        .where(
            TelegramChat.telegram_user_id == telegram_user_id,
            TelegramChat.customer_id != customer_id,
        )
        .execution_options(synchronize_session=False)
    )
    chat = await uow.session.get(TelegramChat, customer_id)
    if chat is None:
        chat = TelegramChat(customer_id=customer_id, linked_at=uow.now)
        uow.session.add(chat)
    chat.telegram_user_id, chat.chat_id, chat.language = telegram_user_id, chat_id, language
    chat.linked_at, chat.blocked_at = uow.now, None
    await uow.session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.customer_id == customer_id,
            OutboxRow.status == OutboxStatus.UNDELIVERABLE,
        )
        .values(status=OutboxStatus.PENDING, next_attempt_at=uow.now, last_error=None)
        .execution_options(synchronize_session=False)
    )


async def link_of_user(uow: UnitOfWork, telegram_user_id: int) -> ChatLink | None:
    """The customer this Telegram user is linked to, if any."""
    row = (
        await uow.session.execute(
            select(TelegramChat.customer_id, TelegramChat.chat_id, TelegramChat.language).where(
                TelegramChat.telegram_user_id == telegram_user_id
            )
        )
    ).one_or_none()
    return None if row is None else ChatLink(row.customer_id, row.chat_id, row.language)


_CHATS = cast(Table, TelegramChat.__table__)
LINK_OF_USER = select(_CHATS.c.customer_id, _CHATS.c.chat_id, _CHATS.c.language).where(
    _CHATS.c.telegram_user_id == bindparam("b_user_id", type_=_CHATS.c.telegram_user_id.type)
)


async def read_link(conn: AsyncConnection, telegram_user_id: int) -> ChatLink | None:
    """`link_of_user` as one prebuilt SELECT on a bare connection, for `tx.read_statement`: what
    every update reads first (bot.handlers.middlewares.CustomerMiddleware)."""
    row = (await conn.execute(LINK_OF_USER, {"b_user_id": telegram_user_id})).one_or_none()
    return None if row is None else ChatLink(row.customer_id, row.chat_id, row.language)


async def user_of_customer(uow: UnitOfWork, customer_id: int) -> int | None:
    """The Telegram user a customer is linked to, if any."""
    return await uow.session.scalar(
        select(TelegramChat.telegram_user_id).where(TelegramChat.customer_id == customer_id)
    )


async def chat_active(uow: UnitOfWork, chat_id: int) -> None:
    """A user who writes to the bot has unblocked it: deliver to them again."""
    await uow.session.execute(
        update(TelegramChat)
        .where(TelegramChat.chat_id == chat_id, TelegramChat.blocked_at.is_not(None))
        .values(blocked_at=None)
        .execution_options(synchronize_session=False)
    )
