"""The credit-note register (admins): every credit note with where it came from (self-service,
a ticket, a service's termination, the API), the agent, the approver, amount, reason and
status; filtered by period, agent, origin, status and currency; keyset pages, newest first
(by the time it was issued, or requested while it is not; the same instant by number, the
later first).

Origin is derived from what is recorded: billing's `created_by` (the actor who made the note:
`customer:…` for self-service, `api:…`, `system:service-termination` for B5) and ticketing's
`ticket_credit_notes` link (T5). Run with `tx.read(...)`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, type_coerce

from billing.models import CreditNote, CreditNoteStatus, Customer, Invoice
from billing.read_models import document_number
from support_desk.core.actors import Actor
from support_desk.core.db import UTCDateTime
from support_desk.core.paging import one_page
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.admin_models import TicketCreditNote
from ticketing.models import User

PAGE_SIZE = 50
MAX_PAGE = 500
AnySelect = Select[*tuple[Any, ...]]
S = TypeVar("S", bound=AnySelect)
SERVICE_TERMINATION_ACTOR = "system:service-termination"


class Origin(StrEnum):
    SELF_SERVICE = "self_service"
    TICKET = "ticket"
    SERVICE_TERMINATION = "service_termination"
    API = "api"
    OTHER = "other"  # staff or the operator outside a ticket


@dataclass(frozen=True, slots=True)
class RegisterFilter:
    """What the admin asked for; every field optional. `end` is inclusive."""

    start: date | None = None
    end: date | None = None
    agent_id: int | None = None
    origin: Origin | None = None
    status: CreditNoteStatus | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterRow:
    id: int
    number: str | None
    status: str
    kind: str
    at: datetime  # issued, or requested while not issued
    customer_id: int
    customer_name: str
    customer_external_id: str
    invoice_id: int
    invoice_number: str | None
    origin: str
    ticket_id: int | None
    agent_id: int | None
    agent_name: str | None
    approver_id: int | None
    approver_name: str | None
    reason: str
    decision_note: str | None
    currency: str
    net_minor: int
    tax_minor: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class RegisterPage:
    rows: tuple[RegisterRow, ...]
    next_before: int | None  # the id to pass as `before` for the next page; None on the last


origin_of: ColumnElement[str] = case(
    (CreditNote.created_by.like("customer:%"), Origin.SELF_SERVICE.value),
    (CreditNote.created_by == SERVICE_TERMINATION_ACTOR, Origin.SERVICE_TERMINATION.value),
    (CreditNote.created_by.like("api:%"), Origin.API.value),
    (TicketCreditNote.ticket_id.is_not(None), Origin.TICKET.value),
    else_=Origin.OTHER.value,
)
# the register's date: when the note was issued, or requested while it is not
noted_at: ColumnElement[datetime] = type_coerce(
    func.coalesce(CreditNote.issued_at, CreditNote.created_at), UTCDateTime()
)


# ties (notes issued in the same instant) by number, the later number first; a note not issued
# has none and follows the numbered ones of its instant, the later request first
number_of: ColumnElement[int] = func.coalesce(CreditNote.number, 0)


def staff_id(label: str | None) -> int | None:
    """The user id in an actor label `agent:3` / `admin:3`; None for anyone else."""
    kind, _, ident = (label or "").partition(":")
    return int(ident) if kind in ("agent", "admin") and ident.isdigit() else None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def filtered(stmt: S, f: RegisterFilter) -> S:
    """The filter's WHERE clauses; `stmt` already joins the ticket link."""
    if f.start is not None:
        stmt = stmt.where(noted_at >= day_start(f.start))
    if f.end is not None:
        stmt = stmt.where(noted_at < day_start(f.end + timedelta(days=1)))
    if f.agent_id is not None:
        labels = [f"agent:{f.agent_id}", f"admin:{f.agent_id}"]
        stmt = stmt.where(
            or_(TicketCreditNote.agent_id == f.agent_id, CreditNote.created_by.in_(labels))
        )
    if f.origin is not None:
        stmt = stmt.where(origin_of == f.origin.value)
    if f.status is not None:
        stmt = stmt.where(CreditNote.status == f.status.value)
    if f.currency:
        stmt = stmt.where(CreditNote.currency == f.currency.upper())
    return stmt


def _statement(f: RegisterFilter, before: int | None, limit: int) -> AnySelect:
    stmt: AnySelect = (
        select(
            CreditNote,
            Customer.name,
            Customer.external_id,
            Invoice.series,
            Invoice.number,
            origin_of.label("origin"),
            TicketCreditNote.ticket_id,
            TicketCreditNote.agent_id,
        )
        .join(Customer, Customer.id == CreditNote.customer_id)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .outerjoin(TicketCreditNote, TicketCreditNote.credit_note_id == CreditNote.id)
    )
    stmt = filtered(stmt, f)
    if before is not None:
        stmt = stmt.where(_after_in_order(before))
    return stmt.order_by(noted_at.desc(), number_of.desc(), CreditNote.id.desc()).limit(limit)


def _after_in_order(before: int) -> ColumnElement[bool]:
    """The notes the register lists after note `before`: earlier, or of its instant with a
    lower number, or with its number and an earlier id (a keyset on the page's order)."""
    mark = (
        select(noted_at.label("at"), number_of.label("number"), CreditNote.id)
        .where(CreditNote.id == before)
        .subquery()
    )
    at, number = select(mark.c.at).scalar_subquery(), select(mark.c.number).scalar_subquery()
    return or_(
        noted_at < at,
        and_(noted_at == at, number_of < number),
        and_(noted_at == at, number_of == number, CreditNote.id < before),
    )


def _row(r: Any) -> RegisterRow:
    cn: CreditNote = r[0]
    agent_id = r.agent_id if r.agent_id is not None else staff_id(cn.created_by)
    return RegisterRow(
        id=cn.id,
        number=document_number(cn.series, cn.number),
        status=cn.status,
        kind=cn.kind,
        at=cn.issued_at or cn.created_at,
        customer_id=cn.customer_id,
        customer_name=r.name,
        customer_external_id=r.external_id,
        invoice_id=cn.invoice_id,
        invoice_number=document_number(r.series, r.number),
        origin=r.origin,
        ticket_id=r.ticket_id,
        agent_id=agent_id,
        agent_name=None,
        approver_id=staff_id(cn.decided_by),
        approver_name=None,
        reason=cn.reason,
        decision_note=cn.decision_note,
        currency=cn.currency,
        net_minor=cn.net_minor,
        tax_minor=cn.tax_minor,
        total_minor=cn.total_minor,
    )


async def _named(uow: UnitOfWork, rows: Sequence[RegisterRow]) -> tuple[RegisterRow, ...]:
    """The agents' and approvers' names, in one query for the page."""
    ids = {i for r in rows for i in (r.agent_id, r.approver_id) if i is not None}
    names: dict[int, str] = {}
    if ids:
        found = await uow.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        names = {row.id: row.name for row in found}
    return tuple(
        replace(
            r,
            agent_name=names.get(r.agent_id) if r.agent_id is not None else None,
            approver_name=names.get(r.approver_id) if r.approver_id is not None else None,
        )
        for r in rows
    )


async def register_page(
    uow: UnitOfWork,
    actor: Actor,
    f: RegisterFilter,
    *,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> RegisterPage:
    """One keyset page of the register, newest first (issued, or requested while not issued;
    the later number first within an instant). Refusals: AdminOnly."""
    rules.ensure_admin(actor)
    limit = max(1, min(limit, MAX_PAGE))
    result = await uow.session.execute(_statement(f, before, limit + 1))
    rows, last = one_page([_row(r) for r in result.all()], limit)
    return RegisterPage(await _named(uow, rows), None if last is None else last.id)


async def register_rows(
    uow: UnitOfWork, actor: Actor, f: RegisterFilter, *, cap: int = 100_000
) -> tuple[RegisterRow, ...]:
    """Every row the filter selects (for the CSV), read page by page; at most `cap`."""
    rows: list[RegisterRow] = []
    before: int | None = None
    while len(rows) < cap:
        page = await register_page(uow, actor, f, before=before, limit=MAX_PAGE)
        rows.extend(page.rows)
        if page.next_before is None:
            break
        before = page.next_before
    return tuple(rows[:cap])
