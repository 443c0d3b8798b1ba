"""What callers ask ticketing to do: frozen commands naming the actor and the idempotency key.

`expected_version` is the ticket version the caller saw; a mismatch is refused as
TicketChangedMeanwhile (D5), so an agent never overwrites a change they did not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing.commands import Remainder
from support_desk.core.actors import Actor
from ticketing.models import Priority, Role, TicketKind


@dataclass(frozen=True, slots=True)
class OpenTicket:
    customer_id: int
    kind: TicketKind
    reason: str
    actor: Actor
    idempotency_key: str | None = None
    invoice_id: int | None = None
    line_ids: tuple[int, ...] = ()
    service_ids: tuple[int, ...] = ()
    priority: Priority | None = None
    # T1: what the customer chose (reason code, money back or account credit, when); kept on
    # the ticket for the agent, merged into the live ticket when a request joins it
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AddCustomerMessage:
    ticket_id: int
    text: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimNext:
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimTicket:
    ticket_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseTicket:
    ticket_id: int
    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ReassignTicket:
    ticket_id: int
    assignee_id: int
    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ReplyToTicket:
    ticket_id: int
    text: str
    actor: Actor
    idempotency_key: str | None = None
    wait_for_customer: bool = False
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class AddNote:
    ticket_id: int
    text: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SetPriority:
    ticket_id: int
    priority: Priority
    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ResolveCompoundSplit:
    """B7: credit the dropped lines, or (with `keep`) cancel and re-invoice the kept lines."""

    ticket_id: int
    actor: Actor
    idempotency_key: str | None = None
    drop_line_ids: tuple[int, ...] = ()
    keep: tuple[tuple[int, ...], ...] = ()
    remainder: Remainder = Remainder.NONE
    note: str = ""
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ResolveRefund:
    """B6: money back (REFUND) or account credit (ACCOUNT_CREDIT); all that is left by default."""

    ticket_id: int
    to: Remainder
    actor: Actor
    idempotency_key: str | None = None
    amount_minor: int | None = None
    line_ids: tuple[int, ...] = ()
    note: str = ""
    expected_version: int | None = None
    payment_id: int | None = None  # B6: the payment the money goes back to first


@dataclass(frozen=True, slots=True)
class ResolveServiceCancellation:
    """B5: terminate the ticket's services (or the chosen ones), now or at period end."""

    ticket_id: int
    actor: Actor
    idempotency_key: str | None = None
    service_ids: tuple[int, ...] = ()
    note: str = ""
    expected_version: int | None = None
    at_period_end: bool = False


@dataclass(frozen=True, slots=True)
class ResolveQuestion:
    ticket_id: int
    answer: str
    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ApproveResolution:
    ticket_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RejectResolution:
    ticket_id: int
    note: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RejectTicket:
    ticket_id: int
    reason: str
    actor: Actor
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class RateTicket:
    ticket_id: int
    rating: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CreateUser:
    """A console user; the password arrives already hashed (`users.hash_password`), so the
    slow hash never runs while the transaction holds the write lock."""

    login: str
    name: str
    password_hash: str
    role: Role
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SetUserActive:
    user_id: int
    active: bool
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SetUserLocale:
    """A console user's own choice of language for the console."""

    locale: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ConvertQuestion:
    """T1: a question becomes a request of another kind; the thread and reason stay."""

    ticket_id: int
    kind: TicketKind
    actor: Actor
    idempotency_key: str | None = None
    invoice_id: int | None = None
    line_ids: tuple[int, ...] = ()
    service_ids: tuple[int, ...] = ()
    expected_version: int | None = None
