"""The audit log as admins search it (T6): by actor, object, action and period, newest first,
in keyset pages. Read-only: nothing here writes, and it runs with `tx.read(...)`.

Staff actors are named from the users table (deactivated ones marked), so the page shows a
person rather than `agent:3`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from support_desk.core.actors import Actor, ActorKind
from support_desk.core.audit import AuditRow
from support_desk.core.paging import one_page
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.models import User
from ticketing.register import day_start

PAGE_SIZE = 50
MAX_PAGE = 200
STAFF_KINDS = (ActorKind.AGENT.value, ActorKind.ADMIN.value)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every field optional; `action` matches as a prefix ("credit_note." finds them all)."""

    actor_kind: str | None = None
    actor_id: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_kind: str
    actor_id: str
    actor_name: str | None  # a staff user's name; None for customers, the API and the system
    actor_deactivated: bool
    action: str
    subject_type: str
    subject_id: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    next_before: int | None


def _where(f: AuditFilter) -> list[Any]:
    clauses: list[Any] = []
    exact = (
        (AuditRow.actor_kind, f.actor_kind),
        (AuditRow.actor_id, f.actor_id),
        (AuditRow.subject_type, f.subject_type),
        (AuditRow.subject_id, f.subject_id),
    )
    clauses.extend(column == value.strip() for column, value in exact if value and value.strip())
    if f.action and f.action.strip():
        clauses.append(AuditRow.action.startswith(f.action.strip(), autoescape=True))
    if f.start is not None:
        clauses.append(AuditRow.at >= day_start(f.start))
    if f.end is not None:
        clauses.append(AuditRow.at < day_start(f.end + timedelta(days=1)))
    return clauses


async def _staff(uow: UnitOfWork, rows: list[AuditRow]) -> dict[str, tuple[str, bool]]:
    ids = {int(r.actor_id) for r in rows if r.actor_kind in STAFF_KINDS and r.actor_id.isdigit()}
    if not ids:
        return {}
    found = await uow.session.execute(
        select(User.id, User.name, User.active).where(User.id.in_(ids))
    )
    return {str(u.id): (u.name, not u.active) for u in found}


def _entry(r: AuditRow, staff: dict[str, tuple[str, bool]]) -> AuditEntry:
    name, gone = (
        staff.get(r.actor_id, (None, False)) if r.actor_kind in STAFF_KINDS else (None, False)
    )
    return AuditEntry(
        r.id,
        r.at,
        r.actor_kind,
        r.actor_id,
        name,
        gone,
        r.action,
        r.subject_type,
        r.subject_id,
        r.before,
        r.after,
    )


async def audit_page(
    uow: UnitOfWork,
    actor: Actor,
    f: AuditFilter,
    *,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """T6: one page of the audit log, newest first. Refusals: AdminOnly."""
    rules.ensure_admin(actor)
    limit = max(1, min(limit, MAX_PAGE))
    stmt = select(AuditRow).where(*_where(f))
    if before is not None:
        stmt = stmt.where(AuditRow.id < before)
    found = (await uow.session.scalars(stmt.order_by(AuditRow.id.desc()).limit(limit + 1))).all()
    rows, last = one_page(found, limit)
    staff = await _staff(uow, rows)
    entries = tuple(_entry(r, staff) for r in rows)
    return AuditPage(entries, None if last is None else last.id)
