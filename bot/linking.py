"""Linking a Telegram user to a billing customer, only by proof (docs/rules.md, linking a chat):

- a one-time deep link `/start <token>` issued for that customer (it replaces any earlier link);
- a shared contact that Telegram marks as the user's own and whose phone matches exactly one
  customer. A contact never moves a linked user to another customer, nor takes a customer
  over from another Telegram user: that takes a new token.

Each is one unit of work: the token is spent and the chat linked together, or neither. A spent
token is still answered as linked to the very user it linked (the inbox re-runs an update whose
answer failed after the link was made); to anyone else it stays invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import billing
from billing.commands import RedeemLinkToken
from billing.errors import LinkTokenInvalid
from billing.read_models import CustomerView
from bot.chats import link_chat, link_of_user, user_of_customer
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError
from support_desk.core.texts import LOCALES
from support_desk.core.tx import UnitOfWork


class ContactNotOwn(DomainError, code="contact_not_own"):
    message = "Only your own phone number can link this chat."


class NoCustomerForPhone(DomainError, code="no_customer_for_phone"):
    message = "We could not find your account by this phone number."


class LinkedElsewhere(DomainError, code="linked_elsewhere"):
    message = "This chat is linked to another account; use a new link to change it."


class CustomerLinkedToSomeoneElse(DomainError, code="customer_linked_elsewhere"):
    """A phone number can be recycled: a contact never takes an account over from another
    Telegram user; moving it takes a link the company issues."""

    message = "This account is already linked to another Telegram user; ask us for a link."


@dataclass(frozen=True, slots=True)
class TelegramUser:
    """Who is asking, as Telegram vouches for it; `language` only when the bot speaks it."""

    user_id: int
    chat_id: int
    language: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor.system(f"telegram:{self.user_id}")

    def language_for(self, customer: CustomerView) -> str:
        fallback = customer.language if customer.language in LOCALES else LOCALES[0]
        return self.language or fallback


@dataclass(frozen=True, slots=True)
class SharedContact:
    phone: str
    user_id: int | None  # set by Telegram only for the sender's own contact


async def link_by_token(uow: UnitOfWork, token: str, who: TelegramUser) -> CustomerView:
    """Spend the token and link this chat to its customer. Refusal: LinkTokenInvalid."""
    command = RedeemLinkToken(token=token, actor=who.actor)
    try:
        customer = await billing.redeem_link_token(uow, command)
    except LinkTokenInvalid:
        if (linked := await linked_by(uow, token, who)) is None:
            raise
        return await billing.queries.customer_view(uow, linked)
    await link_chat(uow, customer.id, who.user_id, who.chat_id, who.language_for(customer))
    return customer


async def linked_by(uow: UnitOfWork, token: str, who: TelegramUser) -> int | None:
    """The customer a spent `token` was issued for, if `who` is linked to that customer now;
    the refusal that brought us here wrote nothing, so this read changes nothing either."""
    customer_id = await billing.queries.spent_link_token_customer(uow, token)
    current = await link_of_user(uow, who.user_id)
    if customer_id is None or current is None or current.customer_id != customer_id:
        return None
    return customer_id


async def link_by_contact(
    uow: UnitOfWork, contact: SharedContact, who: TelegramUser
) -> CustomerView:
    """Link by the user's own phone. Refusals: ContactNotOwn, NoCustomerForPhone,
    LinkedElsewhere."""
    if contact.user_id != who.user_id:
        raise ContactNotOwn()
    customer = await billing.queries.customer_by_phone(uow, contact.phone)
    if customer is None:
        raise NoCustomerForPhone()
    current = await link_of_user(uow, who.user_id)
    if current is not None and current.customer_id != customer.id:
        raise LinkedElsewhere()
    if await user_of_customer(uow, customer.id) not in (None, who.user_id):
        raise CustomerLinkedToSomeoneElse()
    await link_chat(uow, customer.id, who.user_id, who.chat_id, who.language_for(customer))
    uow.audit(
        who.actor, "customer.linked", subject=("customer", customer.id), after={"by": "contact"}
    )
    return customer
