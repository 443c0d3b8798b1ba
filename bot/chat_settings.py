"""The customer's settings for this chat: the language the bot speaks (it overrides the one
Telegram reports), and unlinking the chat from the account. Each is one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update

import billing
from bot.chats import ChatLink
from bot.models import TelegramChat
from support_desk.core.errors import DomainError
from support_desk.core.texts import LOCALES
from support_desk.core.tx import UnitOfWork


class UnknownLanguage(DomainError, code="unknown_language"):
    message = "The bot does not speak this language."


@dataclass(frozen=True, slots=True)
class ChatSettings:
    language: str
    compound_invoices_allowed: bool


async def chat_settings(uow: UnitOfWork, link: ChatLink) -> ChatSettings:
    customer = await billing.queries.customer_view(uow, link.customer_id)
    return ChatSettings(link.language, customer.compound_invoices_allowed)


async def set_chat_language(uow: UnitOfWork, link: ChatLink, language: str) -> ChatSettings:
    """Speak `language` in this chat from now on (a second tap sets the same again)."""
    if language not in LOCALES:
        raise UnknownLanguage()
    await uow.session.execute(
        update(TelegramChat)
        .where(TelegramChat.customer_id == link.customer_id)
        .values(language=language)
        .execution_options(synchronize_session=False)
    )
    uow.audit(
        link.actor,
        "chat.language",
        subject=("customer", link.customer_id),
        before={"language": link.language},
        after={"language": language},
    )
    customer = await billing.queries.customer_view(uow, link.customer_id)
    return ChatSettings(language, customer.compound_invoices_allowed)


async def unlink_chat(uow: UnitOfWork, link: ChatLink) -> None:
    """Stop sending here: the chat is no longer the customer's; tickets stay as they are, and
    messages from now on wait (undeliverable) until a new link."""
    await uow.session.execute(
        delete(TelegramChat)
        .where(TelegramChat.customer_id == link.customer_id)
        .execution_options(synchronize_session=False)
    )
    uow.audit(link.actor, "customer.unlinked", subject=("customer", link.customer_id))
