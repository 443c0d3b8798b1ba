"""Customers (B8) and the one-time tokens that link a chat to one."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from billing import errors, repo, rules
from billing.commands import (
    CreateCustomer,
    IssueLinkToken,
    RedeemLinkToken,
    SetCompoundInvoicesAllowed,
    UpdateCustomer,
)
from billing.models import Customer, LinkTokenRow
from billing.read_models import CustomerView, LinkToken
from support_desk.core.idempotency import idempotent
from support_desk.core.records import attributes
from support_desk.core.tx import UnitOfWork

LINK_TOKEN_LIFETIME = timedelta(days=7)


def phone_digits(phone: str | None) -> str | None:
    """ "+44 20 7946-0001" -> "442079460001": how phones are compared."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits or None


AUDITED = ("name", "email", "phone", "company", "language", "compound_invoices_allowed")


def _snapshot(c: Customer) -> dict[str, object]:
    return attributes(c, AUDITED)


@idempotent
async def create_customer(uow: UnitOfWork, cmd: CreateCustomer) -> CustomerView:
    """A new billing customer; the external id is the caller's own reference and is unique."""
    rules.ensure_not_customer(cmd.actor)
    if await repo.customer_id_of(uow.session, cmd.external_id) is not None:
        raise errors.CustomerExists(external_id=cmd.external_id)
    customer = Customer(
        external_id=cmd.external_id,
        name=cmd.name,
        email=cmd.email,
        phone=cmd.phone,
        phone_digits=phone_digits(cmd.phone),
        company=cmd.company,
        language=cmd.language,
        compound_invoices_allowed=cmd.compound_invoices_allowed,
        created_at=uow.now,
    )
    uow.session.add(customer)
    await uow.session.flush()
    uow.audit(
        cmd.actor, "customer.created", subject=("customer", customer.id), after=_snapshot(customer)
    )
    return repo.customer_view(customer)


@idempotent
async def update_customer(uow: UnitOfWork, cmd: UpdateCustomer) -> CustomerView:
    """Change contact details; fields left None stay as they are."""
    customer = await repo.get_customer(uow.session, cmd.customer_id)
    rules.ensure_self_or_not_customer(cmd.actor, customer.id)
    before = _snapshot(customer)
    for field in ("name", "email", "phone", "company", "language"):
        if (value := getattr(cmd, field)) is not None:
            setattr(customer, field, value)
    customer.phone_digits = phone_digits(customer.phone)
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "customer.updated",
        subject=("customer", customer.id),
        before=before,
        after=_snapshot(customer),
    )
    return repo.customer_view(customer)


@idempotent
async def set_compound_invoices_allowed(
    uow: UnitOfWork, cmd: SetCompoundInvoicesAllowed
) -> CustomerView:
    """B8: a customer can turn off the creation of compound (merged) invoices."""
    customer = await repo.get_customer(uow.session, cmd.customer_id)
    rules.ensure_self_or_not_customer(cmd.actor, customer.id)
    before = customer.compound_invoices_allowed
    customer.compound_invoices_allowed = cmd.allowed
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "customer.compound_invoices",
        subject=("customer", customer.id),
        before={"allowed": before},
        after={"allowed": cmd.allowed},
    )
    return repo.customer_view(customer)


def token_hash(token: str) -> str:
    """Only this digest of a link token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_link_token(uow: UnitOfWork, cmd: IssueLinkToken) -> LinkToken:
    """A one-time deep-link token; only its hash is stored, so it is not replayed either."""
    rules.ensure_not_customer(cmd.actor)
    await repo.get_customer(uow.session, cmd.customer_id)
    token = secrets.token_urlsafe(24)
    expires = uow.now + LINK_TOKEN_LIFETIME
    uow.session.add(
        LinkTokenRow(
            token_hash=token_hash(token),
            customer_id=cmd.customer_id,
            created_at=uow.now,
            expires_at=expires,
        )
    )
    uow.audit(cmd.actor, "customer.link_token", subject=("customer", cmd.customer_id))
    return LinkToken(token=token, customer_id=cmd.customer_id, expires_at=expires)


async def redeem_link_token(uow: UnitOfWork, cmd: RedeemLinkToken) -> CustomerView:
    """Use a token once: the conditional UPDATE lets exactly one redemption through."""
    customer_id = await repo.redeem_link_token(uow.session, token_hash(cmd.token), uow.now)
    if customer_id is None:
        raise errors.LinkTokenInvalid()
    uow.audit(cmd.actor, "customer.linked", subject=("customer", customer_id))
    return repo.customer_view(await repo.get_customer(uow.session, customer_id))
