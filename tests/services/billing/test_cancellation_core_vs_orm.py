"""The cancellation's and the undo's hot paths are prebuilt Core statements
(`billing.statements`); their ORM predecessors are kept in
`tests/services/billing/orm_cancellation.py`. The same story of cancellations (by a customer, an
agent, an admin's approval, the API, a termination, a split, a replacement; replays, double taps,
refusals) and undos (replayed, double, of a partly credited invoice, after the window, of
someone else's or an agent's note, of no note) runs once through each, on a fresh database with
the same clock, and every row of every table and every answer must come out the same.

One column differs by design: `invoices.version` counts row-lock takings, and the ORM path's
`cancel_invoice` took the invoice's lock twice (once in `cancel_invoice`, again in `cancel`); it is
compared apart, against exactly that difference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import text

import billing
from billing.commands import (
    ApproveCreditNote,
    CancelInvoice,
    IssueCreditNote,
    LineCredit,
    NewLine,
    ReplaceInvoice,
    SplitInvoice,
    TerminateService,
    UndoCancellation,
)
from billing.models import ServiceStatus
from billing.services import cancellation, correction, split, termination
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import Base, make_engine
from support_desk.core.errors import DomainError
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.models import load_all_models
from tests import backends
from tests.factories import (
    ADMIN,
    AGENT,
    line,
    make_customer,
    make_invoice,
    make_service,
    pay,
)
from tests.services.billing import orm_cancellation

API = Actor.api("billing-system")

Answers = list[tuple[str, str, Any]]
REPLAYS = {"replayed key"}


async def story(
    tx: Transactor, clock: FrozenClock, cancel_invoice: Any, undo: Any, locked: Counter[int]
) -> Answers:
    """Every way a cancellation happens, and the refusals; each answer (or refusal) kept, and
    in `locked` how many committed `cancel_invoice` calls reached an issued invoice's lock."""
    answers: Answers = []

    async def run(label: str, use_case: Callable[..., Awaitable[Any]], cmd: Any) -> Any:
        try:
            result = await tx.run(use_case, cmd)
        except DomainError as refusal:
            answers.append((label, "refused", (refusal.code, str(refusal.details))))
            return None
        dumped = TypeAdapter(type(result)).dump_python(result, mode="json")
        answers.append((label, repr(result), dumped))
        if use_case is cancel_invoice and label not in REPLAYS and result.credit_note:
            locked[result.invoice.id] += 1
        return result

    def cancel(invoice_id: int, actor: Actor, reason: str = "not needed", key: Any = None) -> Any:
        return CancelInvoice(invoice_id, reason, actor, key)

    alex = await make_customer(tx, external_id="alex", name="Alex")
    cust = Actor.customer(alex.id)
    pending = await make_service(tx, alex, ServiceStatus.PENDING, name="VPS S")
    sku = NewLine("Setup", 1, 990, tax_rate_bp=2000, sku="SETUP-1", service_id=pending.id)
    plain = await make_invoice(tx, alex, line(6833, 2), line(5750, discount=750, rate_bp=825), sku)
    first = await run("customer", cancel_invoice, cancel(plain.id, cust, key="tap-1"))
    await run("replayed key", cancel_invoice, cancel(plain.id, cust, key="tap-1"))
    await run("double tap", cancel_invoice, cancel(plain.id, cust))
    await run("other key, same invoice", cancel_invoice, cancel(plain.id, cust, key="tap-2"))
    clock.advance(minutes=5)
    stranger = await make_customer(tx, external_id="eve", name="Eve")
    eve = Actor.customer(stranger.id)
    first_note = first.credit_note.id
    await run("someone else's undo", undo, UndoCancellation(first_note, eve))
    await run("undo", undo, UndoCancellation(first_note, cust, "undo-1"))
    await run("replayed undo", undo, UndoCancellation(first_note, cust, "undo-1"))
    await run("double undo", undo, UndoCancellation(first_note, cust))
    await run("no such note", undo, UndoCancellation(10_000, cust))
    await run("again after undo", cancel_invoice, cancel(plain.id, cust, "changed my mind"))

    small = await make_invoice(tx, alex, line(900, 3, rate_bp=1900))
    by_agent = await run(
        "agent below threshold", cancel_invoice, cancel(small.id, AGENT, " typo ")
    )
    await run("undo an agent's note", undo, UndoCancellation(by_agent.credit_note.id, cust))
    large = await make_invoice(tx, alex, line(25_000, 2), line(199, 7, rate_bp=0))
    waits = await run("agent above threshold", cancel_invoice, cancel(large.id, AGENT))
    await run("while it waits", cancel_invoice, cancel(large.id, cust))
    approve = ApproveCreditNote(waits.credit_note.id, ADMIN)
    await run("approved", billing.approve_credit_note, approve)
    await run("after approval", cancel_invoice, cancel(large.id, AGENT))

    by_api = await make_invoice(tx, alex, line(1234))
    await run("api without reason", cancel_invoice, cancel(by_api.id, API, "  "))
    by_api_2 = await make_invoice(tx, alex, line(4321))
    await run("api with reason", cancel_invoice, cancel(by_api_2.id, API, "duplicate"))
    await run("nobody's reason", cancel_invoice, cancel(by_api_2.id, AGENT, ""))

    draft = await make_invoice(tx, alex, line(500), draft=True)
    await run("draft", cancel_invoice, cancel(draft.id, AGENT))
    await run("draft again", cancel_invoice, cancel(draft.id, AGENT))

    partly = await make_invoice(tx, alex, line(3000, 2), line(1500))
    credit = IssueCreditNote(
        partly.id, "goodwill", AGENT, lines=(LineCredit(partly.lines[0].id, net_minor=1000),)
    )
    await run("partial credit first", billing.issue_credit_note, credit)
    rest = await run("then the rest", cancel_invoice, cancel(partly.id, cust))
    await run("undo the rest", undo, UndoCancellation(rest.credit_note.id, cust))
    late = await run("cancel again", cancel_invoice, cancel(partly.id, cust, "sure now"))
    clock.advance(minutes=20)
    await run("undo at the window's end", undo, UndoCancellation(late.credit_note.id, cust))
    await run("cancel once more", cancel_invoice, cancel(partly.id, cust, "for good"))
    for_good = await run("once more", cancel_invoice, cancel(partly.id, cust))
    clock.advance(minutes=20, seconds=1)
    await run("undo after the window", undo, UndoCancellation(for_good.credit_note.id, cust))

    paid = await make_invoice(tx, alex, line(700))
    await pay(tx, paid, paid.total_minor)
    await run("paid", cancel_invoice, cancel(paid.id, cust))
    part_paid = await make_invoice(tx, alex, line(700))
    await pay(tx, part_paid, 100)
    await run("partly paid", cancel_invoice, cancel(part_paid.id, AGENT))
    await run("not yours", cancel_invoice, cancel(small.id, eve))
    await run("no such invoice", cancel_invoice, cancel(10_000, AGENT))

    vps = await make_service(tx, alex, ServiceStatus.ACTIVE, name="VPS M")
    backup = await make_service(tx, alex, ServiceStatus.ACTIVE, name="Backup")
    in_use = await make_invoice(tx, alex, line(2000, service=vps))
    await run("service in use", cancel_invoice, cancel(in_use.id, cust))
    compound = await make_invoice(
        tx, alex, line(2000, service=vps, name="VPS"), line(300, 2, service=backup, name="B")
    )
    await run("compound by customer", cancel_invoice, cancel(compound.id, cust))
    keep = ((compound.lines[0].id,),)
    await run("split", billing.split_invoice, SplitInvoice(compound.id, "split", keep, AGENT))
    big = await make_invoice(tx, alex, line(40_000, service=vps), line(9_000, service=backup))
    keep = ((big.lines[1].id,),)
    await run("large split", billing.split_invoice, SplitInvoice(big.id, "split", keep, AGENT))

    other = await make_invoice(tx, alex, line(1100, service=backup))
    terminate = TerminateService(backup.id, "moving out", AGENT)
    await run("termination", billing.terminate_service, terminate)
    wrong = await make_invoice(tx, alex, line(800), line(80, 3))
    replace = ReplaceInvoice(wrong.id, (line(800), line(80, 2)), AGENT, reason="wrong count")
    await run("replacement", billing.replace_invoice, replace)
    assert other.id
    return answers


async def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, every column, as the database holds it (no type processing), by key."""
    load_all_models()
    engine = make_engine(url)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                order = ", ".join(c.name for c in table.primary_key.columns)
                rows = await conn.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
                tables[table.name] = [tuple(r) for r in rows]
    finally:
        await engine.dispose()
    return tables


async def through(
    url: str, cancel_invoice: Any, undo: Any, locked: Counter[int]
) -> tuple[Answers, dict[str, Any]]:
    clock = FrozenClock()
    engine = make_engine(url)
    try:
        tx = Transactor(engine, clock, Settings(database_url=url))
        answers = await story(tx, clock, cancel_invoice, undo, locked)
    finally:
        await engine.dispose()
    return answers, await snapshot(url)


def split_version(tables: dict[str, Any]) -> dict[int, int]:
    """Take `invoices.version` out of the snapshot (by invoice id), every other column kept."""
    load_all_models()
    columns = [c.name for c in Base.metadata.tables["invoices"].columns]
    at, key = columns.index("version"), columns.index("id")
    versions = {row[key]: row[at] for row in tables["invoices"]}
    tables["invoices"] = [row[:at] + row[at + 1 :] for row in tables["invoices"]]
    return versions


@pytest.mark.slow
async def test_the_core_cancellation_writes_and_answers_exactly_what_the_orm_one_did(
    database_url: str,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked: Counter[int] = Counter()
    core_answers, core = await through(
        database_url, billing.cancel_invoice, billing.undo_cancellation, locked
    )

    if database_url.startswith("sqlite"):
        (tmp_path / "orm").mkdir()
        orm_url = backends.sqlite_copy(sqlite_template, tmp_path / "orm")
    else:
        engine = make_engine(database_url)
        await backends.truncate_all(engine)
        await engine.dispose()
        orm_url = database_url
    with monkeypatch.context() as m:  # B5, B7 and replacements cancel through `cancel` too
        for module in (cancellation, termination, split, correction):
            m.setattr(module, "cancel", orm_cancellation.cancel)
        orm_answers, orm = await through(
            orm_url, orm_cancellation.cancel_invoice, orm_cancellation.undo_cancellation, Counter()
        )

    assert [a[:2] for a in core_answers] == [a[:2] for a in orm_answers]
    assert core_answers == orm_answers
    core_versions, orm_versions = split_version(core), split_version(orm)
    assert core.keys() == orm.keys()
    for name in core:
        assert core[name] == orm[name], name
    # the ORM path took the lock twice in each cancel_invoice that went through, the Core once
    assert {i: orm_versions[i] - v for i, v in core_versions.items()} == {
        i: locked[i] for i in core_versions
    }
    # the story reached what it means to compare
    refusals = {a[2][0] for a in core_answers if a[1] == "refused"}
    assert refusals >= {
        "invoice_paid",
        "invoice_partially_paid",
        "not_your_invoice",
        "invoice_not_found",
        "service_in_use",
        "invoice_is_compound",
        "credit_note_pending",
        "invalid_invoice",
        "undo_window_passed",
        "undo_not_allowed",
        "credit_note_not_found",
    }, refusals
    undone = [
        a for a in core_answers if a[0] in ("undo", "undo the rest", "undo at the window's end")
    ]
    assert all(a[2]["credit_note"]["status"] == "void" for a in undone), undone
    undos = {"undo", "replayed undo", "double undo", "undo the rest", "undo at the window's end"}
    again = [a[2]["already_undone"] for a in core_answers if a[0] in undos]
    assert again == [False, False, True, False, False], again  # a replay answers as the first
    assert sum(1 for r in core["outbox"] if "cancellation_undone" in r) == 3
    statuses = {(r[0], r[1]) for r in core_answers if r[1] != "refused"}
    assert len(statuses) == len([a for a in core_answers if a[1] != "refused"])
    assert len(core["credit_notes"]) >= 8 and core["audit_log"] and core["outbox"]
    if not database_url.startswith("sqlite"):
        engine = make_engine(database_url)
        await backends.truncate_all(engine)
        await engine.dispose()
