"""The money auditor (M7, O1): invariants read straight from the billing tables, checked by the
stateful model test after every step and by the concurrency tests at the end.

Every check returns what it found, and `audit` raises one AssertionError listing all problems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from billing.models import (
    AccountCredit,
    CreditNote,
    CreditNoteLine,
    DocumentSeries,
    Invoice,
    InvoiceLine,
    JournalEntry,
)
from support_desk.core.audit import AuditRow
from support_desk.core.db import make_engine
from support_desk.core.tx import Transactor, UnitOfWork
from tests.backends import truncate_all

LIVE = ("issued", "pending_approval")  # the statuses that hold part of an invoice's total


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the auditor reads, taken in one read transaction."""

    invoices: dict[int, Invoice]
    lines: list[InvoiceLine]
    notes: list[CreditNote]
    note_lines: list[CreditNoteLine]
    journal: list[JournalEntry]
    credits: list[AccountCredit]
    series: dict[str, int]


async def _snapshot(uow: UnitOfWork) -> Snapshot:
    s = uow.session
    return Snapshot(
        invoices={i.id: i for i in (await s.scalars(select(Invoice))).all()},
        lines=list((await s.scalars(select(InvoiceLine))).all()),
        notes=list((await s.scalars(select(CreditNote).order_by(CreditNote.id))).all()),
        note_lines=list((await s.scalars(select(CreditNoteLine))).all()),
        journal=list((await s.scalars(select(JournalEntry))).all()),
        credits=list((await s.scalars(select(AccountCredit))).all()),
        series={r.series: r.next_number for r in (await s.scalars(select(DocumentSeries))).all()},
    )


async def snapshot(tx: Transactor) -> Snapshot:
    return await tx.read(_snapshot)


def problems(snap: Snapshot) -> list[str]:
    """Every broken money invariant in `snap`, as readable sentences."""
    found: list[str] = []
    notes_of: dict[int, list[CreditNote]] = defaultdict(list)
    for n in snap.notes:
        notes_of[n.invoice_id].append(n)
    receivable: dict[int, int] = defaultdict(int)
    by_txn: dict[str, int] = defaultdict(int)
    by_currency: dict[str, int] = defaultdict(int)
    credit_journal: dict[tuple[int, str], int] = defaultdict(int)
    for e in snap.journal:
        by_txn[e.txn] += e.amount_minor
        by_currency[e.currency] += e.amount_minor
        if e.account == "receivable" and e.invoice_id is not None:
            receivable[e.invoice_id] += e.amount_minor
        if e.account == "account_credit":
            credit_journal[(e.customer_id, e.currency)] -= e.amount_minor

    for inv in snap.invoices.values():
        balance = inv.total_minor - inv.paid_minor - inv.settled_minor
        live = [n for n in notes_of[inv.id] if n.status in LIVE]
        issued = [n for n in notes_of[inv.id] if n.status in ("issued", "void")]
        if balance < 0:
            found.append(f"invoice {inv.id}: negative balance {balance}")
        if inv.credited_minor != sum(n.total_minor for n in live):
            found.append(
                f"invoice {inv.id}: credited_minor {inv.credited_minor} != live notes "
                f"{sum(n.total_minor for n in live)}"
            )
        if inv.credited_minor > inv.total_minor:
            found.append(f"invoice {inv.id}: over-credited {inv.credited_minor}")
        settled = sum(n.settled_minor for n in issued if n.status == "issued")
        if inv.settled_minor != settled:
            found.append(f"invoice {inv.id}: settled {inv.settled_minor} != notes {settled}")
        posted = inv.number is not None  # a draft, or a draft cancelled, was never issued
        if posted and receivable[inv.id] != balance:
            found.append(f"invoice {inv.id}: receivable {receivable[inv.id]} != balance {balance}")
        if not posted and receivable[inv.id] != 0:
            found.append(f"draft invoice {inv.id} has receivable {receivable[inv.id]}")
        if inv.credited_minor == inv.total_minor and inv.total_minor > 0:
            net, tax = sum(n.net_minor for n in live), sum(n.tax_minor for n in live)
            if (net, tax) != (inv.net_minor, inv.tax_minor):
                found.append(
                    f"invoice {inv.id}: fully credited by net {net} tax {tax}, "
                    f"invoice net {inv.net_minor} tax {inv.tax_minor}"
                )
        cancellations = [
            n
            for n in notes_of[inv.id]
            if n.kind in ("cancellation", "split") and n.status == "issued"
        ]
        if len(cancellations) > 1:
            found.append(f"invoice {inv.id}: {len(cancellations)} live cancellation notes")
        if inv.status == "canceled" and inv.paid_minor:
            found.append(f"invoice {inv.id}: canceled with payments")
        expected_status = _status(inv.total_minor, inv.paid_minor, inv.settled_minor)
        if posted and inv.total_minor and inv.status != expected_status:
            found.append(f"invoice {inv.id}: status {inv.status}, money says {expected_status}")

    found += _line_problems(snap)
    found += [f"journal txn {t} sums to {v}" for t, v in by_txn.items() if v]
    found += [f"journal currency {c} sums to {v}" for c, v in by_currency.items() if v]
    for row in snap.credits:
        if row.balance_minor < 0:
            found.append(f"account credit of {row.customer_id} is {row.balance_minor}")
        if credit_journal[(row.customer_id, row.currency)] != row.balance_minor:
            found.append(
                f"account credit of {row.customer_id} {row.currency}: {row.balance_minor} != "
                f"journal {credit_journal[(row.customer_id, row.currency)]}"
            )
    stored = {(r.customer_id, r.currency) for r in snap.credits}
    found += [
        f"journal account credit {k} = {v} without a balance row"
        for k, v in credit_journal.items()
        if v and k not in stored
    ]
    found += numbering_problems(
        [n.number for n in snap.notes if n.number is not None], snap.series.get("CN", 1), "CN"
    )
    for n in snap.notes:
        if n.status in ("issued", "void") and (
            n.total_minor != n.settled_minor + n.refund_minor + n.account_credit_minor
        ):
            found.append(f"credit note {n.id}: total does not split into its parts")
    return found


def _line_problems(snap: Snapshot) -> list[str]:
    found: list[str] = []
    live_ids = {n.id for n in snap.notes if n.status in LIVE}
    credited: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for cl in snap.note_lines:
        if cl.credit_note_id in live_ids:
            credited[cl.invoice_line_id][0] += cl.net_minor
            credited[cl.invoice_line_id][1] += cl.tax_minor
    for note in snap.notes:
        own = [cl for cl in snap.note_lines if cl.credit_note_id == note.id]
        if (sum(c.net_minor for c in own), sum(c.tax_minor for c in own)) != (
            note.net_minor,
            note.tax_minor,
        ):
            found.append(f"credit note {note.id}: lines do not sum to the note")
    found += [
        f"line {ln.id}: credited ({ln.credited_net_minor}, {ln.credited_tax_minor}) "
        f"!= live note lines {credited[ln.id]}"
        for ln in snap.lines
        if [ln.credited_net_minor, ln.credited_tax_minor] != credited[ln.id]
    ]
    return found


def numbering_problems(numbers: list[int], next_number: int, series: str) -> list[str]:
    """B10 / M11: numbers are exactly 1..n, and the counter stands at n + 1."""
    found = []
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        found.append(f"{series} numbers are not 1..{len(numbers)}: {sorted(numbers)}")
    if next_number != len(numbers) + 1:
        found.append(f"{series} counter {next_number} != {len(numbers) + 1}")
    return found


def _status(total: int, paid: int, settled: int) -> str:
    if total - paid - settled <= 0:
        return "paid" if paid > 0 else "canceled"
    return "partially_paid" if paid > 0 else "unpaid"


@dataclass(frozen=True, slots=True)
class Refusal:
    """One refused attempt kept in the audit log (T6, TG5, M13)."""

    actor: str
    use_case: str
    code: str


async def _refusals(uow: UnitOfWork) -> list[Refusal]:
    rows = await uow.session.scalars(
        select(AuditRow).where(AuditRow.action == "refused").order_by(AuditRow.id)
    )
    return [
        Refusal(f"{r.actor_kind}:{r.actor_id}", r.subject_id, (r.after or {}).get("code", ""))
        for r in rows
    ]


async def refusals(tx: Transactor) -> list[Refusal]:
    """The security refusals audited so far, oldest first."""
    return await tx.read(_refusals)


async def audit(tx: Transactor) -> Snapshot:
    """Read everything and fail with every broken invariant at once."""
    snap = await snapshot(tx)
    found = problems(snap)
    assert not found, "money invariants broken:\n" + "\n".join(found)
    return snap


@asynccontextmanager
async def concurrent_tx(tx: Transactor, connections: int = 30) -> AsyncIterator[Transactor]:
    """A Transactor for a burst of concurrent calls. On PostgreSQL its pool is capped, so a
    burst waits for connections instead of exhausting a server that other suites share; every
    call still runs in its own session and transaction."""
    if tx.engine.dialect.name != "postgresql":
        yield tx
        return
    engine = make_engine(tx.settings.database_url, pool_size=connections, max_overflow=0)
    try:
        yield Transactor(engine, tx.clock, tx.settings)
    finally:
        await engine.dispose()


async def start_clean(engine: AsyncEngine) -> None:
    """PostgreSQL is emptied after each test; empty it before too, should a run have died."""
    if engine.dialect.name == "postgresql":
        await truncate_all(engine)
