"""Prebuilt Core statements for billing's hot path, the cancellation (and what a cancellation
answers), and the read models built straight from the rows they return.

Why not the ORM here: a cancellation through the session loaded objects only to update them,
evaluated each bulk UPDATE against the identity map (`synchronize_session`) and read four rows
back to answer; its CPU was SQLAlchemy's, not the database's. These statements are built once, at
import, with typed bind parameters (SQLite's date format and PostgreSQL's casts come from the
columns' own types), and every write returns what the answer needs (`RETURNING`, on SQLite 3.35+
and PostgreSQL alike). The guards stay in the SQL: each conditional UPDATE changes a row only
while the rule it guards holds, and the CHECKs back them (B9). Round trips were what was left:
a cancellation is 3 statements on PostgreSQL (the lock, what it reads, then every write in one
WITH) and 9 on SQLite (the lock with what it reads, then one write per table).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from billing import errors
from billing.models import (
    CreditNote,
    CreditNoteLine,
    DocumentSeries,
    Invoice,
    InvoiceLine,
    JournalEntry,
    Service,
)
from billing.read_models import (
    CreditNoteLineView,
    CreditNoteView,
    InvoiceLineView,
    InvoiceView,
    document_number,
)
from billing.rules import CreditPart
from support_desk.core.audit import AuditRow
from support_desk.core.outbox import OutboxRow
from support_desk.core.records import from_row

V = TypeVar("V")  # a read model built from a row
INVOICES = cast(Table, Invoice.__table__)
LINES = cast(Table, InvoiceLine.__table__)
NOTES = cast(Table, CreditNote.__table__)
NOTE_LINES = cast(Table, CreditNoteLine.__table__)
SERIES = cast(Table, DocumentSeries.__table__)
SERVICES = cast(Table, Service.__table__)


def _param(name: str, column: Any) -> Any:
    """A bind parameter typed as `column`, so its value is bound exactly as the ORM binds it."""
    return bindparam(name, type_=column.type)


# what an InvoiceView shows of an invoice row
INVOICE_COLUMNS = tuple(
    INVOICES.c[name]
    for name in (
        "id",
        "series",
        "number",
        "customer_id",
        "status",
        "currency",
        "description",
        "due_date",
        "allow_partial_payments",
        "minimum_partial_minor",
        "is_compound",
        "discount_minor",
        "net_minor",
        "tax_minor",
        "total_minor",
        "paid_minor",
        "refunded_minor",
        "credited_minor",
        "settled_minor",
        "created_at",
        "issued_at",
        "sent_at",
        "cancelled_at",
        "cancel_reason",
        "cancelled_with_id",
        "split_from_id",
    )
)
# an InvoiceLineView's fields, in its order
LINE_COLUMNS = tuple(
    LINES.c[f.name] for f in dataclasses.fields(InvoiceLineView) if f.name in LINES.c
)
assert len(LINE_COLUMNS) == len(dataclasses.fields(InvoiceLineView))
NOTE_COLUMNS = tuple(
    NOTES.c[f.name] for f in dataclasses.fields(CreditNoteView) if f.name in NOTES.c
) + (NOTES.c.series,)
NOTE_LINE_COLUMNS = tuple(NOTE_LINES.c[f.name] for f in dataclasses.fields(CreditNoteLineView))

_INVOICE_ID = _param("b_invoice_id", INVOICES.c.id)

LOCK_INVOICE = (  # the invoice's row lock (a version bump), the fresh row in the same statement
    update(INVOICES)
    .where(INVOICES.c.id == _INVOICE_ID)
    .values(version=INVOICES.c.version + 1)
    .returning(*INVOICE_COLUMNS)
)
SELECT_INVOICE_WITH_LINES = (  # one statement, so one read is consistent without a transaction
    select(*INVOICE_COLUMNS, *(c.label(f"line_{c.name}") for c in LINE_COLUMNS))
    .select_from(INVOICES)
    .outerjoin(LINES, LINES.c.invoice_id == INVOICES.c.id)
    .where(INVOICES.c.id == _INVOICE_ID)
    .order_by(LINES.c.position)
)
_INVOICE_IDS: Any = bindparam("b_invoice_ids", expanding=True)
SELECT_INVOICES = select(*INVOICE_COLUMNS).where(INVOICES.c.id.in_(_INVOICE_IDS))
SELECT_LINES_OF = (  # the lines of several invoices, each invoice's in position order
    select(LINES.c.invoice_id, *LINE_COLUMNS)
    .where(LINES.c.invoice_id.in_(_INVOICE_IDS))
    .order_by(LINES.c.invoice_id, LINES.c.position)
)
SERVICES_IN_USE = select(SERVICES.c.name).where(
    SERVICES.c.id.in_(bindparam("b_service_ids", expanding=True)), SERVICES.c.status == "active"
)
NEXT_NUMBER = (  # B10: gapless, drawn in the issuing transaction
    update(SERIES)
    .where(SERIES.c.series == _param("b_series", SERIES.c.series))
    .values(next_number=SERIES.c.next_number + 1)
    .returning(SERIES.c.next_number)
)
INSERT_NOTE = insert(NOTES).returning(NOTES.c.id)
INSERT_NOTE_LINES = insert(NOTE_LINES)
_NOTE_IDS: Any = bindparam("b_note_ids", expanding=True)


def _notes_with_invoice(where: ColumnElement[bool]) -> Select[Any]:
    """Credit notes and the number of the invoice each credits."""
    return (
        select(
            *NOTE_COLUMNS,
            INVOICES.c.series.label("invoice_series"),
            INVOICES.c.number.label("invoice_document_number"),
        )
        .join(INVOICES, INVOICES.c.id == NOTES.c.invoice_id)
        .where(where)
    )


SELECT_NOTE_WITH_INVOICE = _notes_with_invoice(NOTES.c.id == _param("b_note_id", NOTES.c.id))
SELECT_NOTES_WITH_INVOICE = _notes_with_invoice(NOTES.c.id.in_(_NOTE_IDS))
SELECT_NOTE_WITH_LINES = (  # the same and its lines, in one statement (see read_statement)
    select(
        *SELECT_NOTE_WITH_INVOICE.selected_columns,
        *(c.label(f"line_{c.name}") for c in NOTE_LINE_COLUMNS),
    )
    .select_from(NOTES)
    .join(INVOICES, INVOICES.c.id == NOTES.c.invoice_id)
    .outerjoin(NOTE_LINES, NOTE_LINES.c.credit_note_id == NOTES.c.id)
    .where(NOTES.c.id == _param("b_note_id", NOTES.c.id))
    .order_by(NOTE_LINES.c.position)
)

SELECT_NOTE_LINES_OF = (  # the lines of several notes, each note's in position order
    select(NOTE_LINES.c.credit_note_id, *NOTE_LINE_COLUMNS)
    .where(NOTE_LINES.c.credit_note_id.in_(_NOTE_IDS))
    .order_by(NOTE_LINES.c.credit_note_id, NOTE_LINES.c.position)
)

_CREDIT = _param("b_credit", INVOICES.c.credited_minor)
# B9: the credit notes of an invoice never exceed its total (the CHECK `credited` backs it)
_CREDITABLE = INVOICES.c.credited_minor + _CREDIT <= INVOICES.c.total_minor
RESERVE_INVOICE = (  # a note waiting for approval holds its credit (B11)
    update(INVOICES)
    .where(INVOICES.c.id == _INVOICE_ID, _CREDITABLE)
    .values(credited_minor=INVOICES.c.credited_minor + _CREDIT)
    .returning(*INVOICE_COLUMNS)
)
CANCEL_INVOICE = (  # the credit, what it settled and refunded, and the invoice cancelled with it
    update(INVOICES)
    .where(INVOICES.c.id == _INVOICE_ID, _CREDITABLE)
    .values(
        credited_minor=INVOICES.c.credited_minor + _CREDIT,
        settled_minor=INVOICES.c.settled_minor + _param("b_settled", INVOICES.c.settled_minor),
        refunded_minor=INVOICES.c.refunded_minor + _param("b_refund", INVOICES.c.refunded_minor),
        status=_param("b_status", INVOICES.c.status),
        cancelled_with_id=_param("b_note_id", INVOICES.c.cancelled_with_id),
        cancelled_at=_param("b_at", INVOICES.c.cancelled_at),
        cancel_reason=_param("b_reason", INVOICES.c.cancel_reason),
    )
    .returning(*INVOICE_COLUMNS)
)


# --- the undo (B4) ---
_NOTE_ID = _param("b_note_id", NOTES.c.id)
LOCK_NOTE_INVOICE = (  # LOCK_INVOICE on the invoice a credit note credits, named by the note
    update(INVOICES)
    .where(
        INVOICES.c.id == select(NOTES.c.invoice_id).where(NOTES.c.id == _NOTE_ID).scalar_subquery()
    )
    .values(version=INVOICES.c.version + 1)
    .returning(*INVOICE_COLUMNS)
)
VOID_NOTE = (  # B4: one void however many undos: only an issued note becomes void
    update(NOTES)
    .where(NOTES.c.id == _NOTE_ID, NOTES.c.status == "issued")
    .values(status="void", voided_at=_param("b_at", NOTES.c.voided_at))
    .returning(NOTES.c.id)
)
UNDO_INVOICE = (  # the voided note's settlement and credit given back, the invoice owed again
    update(INVOICES)
    .where(INVOICES.c.id == _INVOICE_ID)
    .values(
        settled_minor=INVOICES.c.settled_minor - _param("b_settled", INVOICES.c.settled_minor),
        cancelled_with_id=None,
        cancelled_at=None,
        cancel_reason=None,
        status=_param("b_status", INVOICES.c.status),
        credited_minor=INVOICES.c.credited_minor - _CREDIT,
    )
    .returning(*INVOICE_COLUMNS)
)


@functools.lru_cache(maxsize=64)
def move_lines_statement(count: int) -> Any:
    """B9: `count` lines' credited amounts moved in one UPDATE, each only within what its line
    is worth; RETURNING names the lines whose guard held (an executemany could not say so on
    asyncpg, whose executemany has no row count)."""
    ids = [_param(f"b_id{i}", LINES.c.id) for i in range(count)]

    def by_line(prefix: str, column: Any) -> ColumnElement[Any]:
        pairs = [(ids[i], _param(f"{prefix}{i}", column)) for i in range(count)]
        return case(*pairs, value=LINES.c.id)

    net = by_line("b_net", LINES.c.credited_net_minor)
    tax = by_line("b_tax", LINES.c.credited_tax_minor)
    return (
        update(LINES)
        .where(
            LINES.c.id.in_(ids),
            LINES.c.credited_net_minor + net <= LINES.c.net_minor,
            LINES.c.credited_tax_minor + tax <= LINES.c.tax_minor,
        )
        .values(
            credited_net_minor=LINES.c.credited_net_minor + net,
            credited_tax_minor=LINES.c.credited_tax_minor + tax,
        )
        .returning(LINES.c.id, LINES.c.credited_net_minor, LINES.c.credited_tax_minor)
    )


# --- a cancellation and an undo in fewer round trips --------------------------------------
# Each statement is a round trip (PostgreSQL's network, SQLite's driver thread, four hops of
# it) and SQLAlchemy's execution around it, which was most of a cancellation's time: the lines,
# their services in use and the live cancellation are read in one statement (on SQLite the
# lock's own), and on PostgreSQL the writes are one statement (`issue_statement`,
# `void_statement`). SQLite has no writes in a WITH: there they stay one statement per table.

_IN_USE = (  # a line's service, when it is one in use (B1: the customer cannot cancel it)
    SERVICES.c.id.label("in_use_id"),
    SERVICES.c.name.label("in_use_name"),
)
# the lines and their services in use as one JSON array of arrays, in the lock's RETURNING (its
# UPDATE cannot be joined there); written out, as SQLAlchemy would leave the subquery's columns
# unqualified like those of the RETURNING
_LINES_SQL = (
    "(SELECT {}(json{}array({}, s.id, s.name)) FROM invoice_lines AS l"
    " LEFT JOIN services AS s ON s.id = l.service_id AND s.status = 'active'"
    " WHERE l.invoice_id = invoices.id)"
)
_LINE_NAMES = ", ".join(f"l.{c.name}" for c in LINE_COLUMNS)
_LINES_AS_JSON = {
    "sqlite": literal_column(_LINES_SQL.format("json_group_array", "_", _LINE_NAMES), String),
    "postgresql": literal_column(
        "coalesce(" + _LINES_SQL.format("json_agg", "_build_", _LINE_NAMES) + ", '[]')", String
    ),
}
_BY_POSITION = itemgetter([c.name for c in LINE_COLUMNS].index("position"))


# the invoice's live cancellation (B1: a second cancel answers with it), read with the lock
_LIVE_WITH_LOCK = literal_column(
    "(SELECT n.id FROM credit_notes AS n WHERE n.invoice_id = invoices.id"
    " AND n.kind IN ('cancellation', 'split') AND n.status = 'issued' LIMIT 1)",
    Integer,
).label("live_note_id")


_LIVE_NOTE = (
    select(NOTES.c.id)
    .where(
        NOTES.c.invoice_id == INVOICES.c.id,
        NOTES.c.kind.in_(("cancellation", "split")),
        NOTES.c.status == "issued",
    )
    .limit(1)
    .scalar_subquery()
    .label("live_note_id")
)
# PostgreSQL: the invoice's version as this statement's snapshot saw it. A statement reads from
# the snapshot it started with (READ COMMITTED), and one that waited for the lock re-reads only
# the locked row: then the lines and the live note read with the lock are those from before the
# transaction it waited for committed. Every money change on an invoice bumps its version under
# this lock, so a snapshot that saw the version just before ours saw the lines as they are.
_SEEN_VERSION = literal_column(
    "(SELECT seen.version FROM invoices AS seen WHERE seen.id = invoices.id)", Integer
).label("seen_version")
# PostgreSQL, when the lock waited: what it reads, in a statement of its own after it
AFTER_LOCK = (
    select(_LIVE_NOTE, *LINE_COLUMNS, *_IN_USE)
    .select_from(INVOICES)
    .outerjoin(LINES, LINES.c.invoice_id == INVOICES.c.id)
    .outerjoin(SERVICES, and_(SERVICES.c.id == LINES.c.service_id, SERVICES.c.status == "active"))
    .where(INVOICES.c.id == _INVOICE_ID)
    .order_by(LINES.c.position)
)


def _with_lines(lock: Any) -> dict[str, Any]:
    """A lock's statement per dialect, which also reads the invoice's live cancellation, its
    lines and their services in use. On SQLite they are current (its writers are one at a time
    from BEGIN IMMEDIATE); on PostgreSQL unless the lock waited (`_SEEN_VERSION`), when
    `AFTER_LOCK` reads them again."""
    return {
        "sqlite": lock.returning(_LIVE_WITH_LOCK, _LINES_AS_JSON["sqlite"].label("lines_json")),
        "postgresql": lock.returning(
            _LIVE_WITH_LOCK,
            _LINES_AS_JSON["postgresql"].label("lines_json"),
            INVOICES.c.version.label("locked_version"),
            _SEEN_VERSION,
        ),
    }


LOCKS_INVOICE = _with_lines(LOCK_INVOICE)
LOCKS_NOTE_INVOICE = _with_lines(LOCK_NOTE_INVOICE)

JOURNAL = cast(Table, JournalEntry.__table__)
AUDIT = cast(Table, AuditRow.__table__)
OUTBOX = cast(Table, OutboxRow.__table__)
NOTE_VALUE_COLUMNS = tuple(c for c in NOTES.c if c.name not in ("id", "number"))


@functools.lru_cache(maxsize=64)
def issue_statement(lines: int, entries: int, message: bool) -> Any:
    """PostgreSQL: an issued cancellation's writes in ONE statement of data-modifying CTEs,
    those `_issue_now` runs one by one on SQLite: `lines` invoice lines credited, the number
    drawn (B10), the note and its lines, the invoice cancelled with it (B9's guard), `entries`
    journal rows, both audit rows and, when `message`, the customer's. Each write reads the one
    before it, so where a guard does not hold nothing after it is written; the one row answered
    says which: how many lines `moved`, and the note and the invoice as cancelled, or NULLs.

    The values are bound as `n_<column>` (the note), `l<i>_`, `j<i>_`, `a0_`/`a1_`, `o0_` (its
    lines, the journal, the audit rows, the message), `b_...` (the invoice's UPDATE); what only
    the statement knows (the note's id and number) it writes itself, into the JSON documents
    too (`||` sets those keys)."""
    moved = move_lines_statement(lines).cte("moved")
    drawn = NEXT_NUMBER.cte("drawn")
    all_moved = select(func.count()).select_from(moved).scalar_subquery() == lines
    note = (
        insert(NOTES)
        .from_select(
            [*NOTE_VALUE_COLUMNS, NOTES.c.number],
            select(*(_param(f"n_{c.name}", c) for c in NOTE_VALUE_COLUMNS))
            .add_columns(drawn.c.next_number - 1)
            .where(all_moved),
        )
        .returning(NOTES.c.id, NOTES.c.invoice_id, NOTES.c.series, NOTES.c.number)
        .cte("note")
    )
    cancelled = (
        update(INVOICES)
        .where(INVOICES.c.id == _INVOICE_ID, INVOICES.c.id == note.c.invoice_id, _CREDITABLE)
        .values(
            credited_minor=INVOICES.c.credited_minor + _CREDIT,
            settled_minor=INVOICES.c.settled_minor + _param("b_settled", INVOICES.c.settled_minor),
            refunded_minor=INVOICES.c.refunded_minor
            + _param("b_refund", INVOICES.c.refunded_minor),
            status=_param("b_status", INVOICES.c.status),
            cancelled_with_id=note.c.id,
            cancelled_at=_param("b_at", INVOICES.c.cancelled_at),
            cancel_reason=_param("b_reason", INVOICES.c.cancel_reason),
        )
        .returning(*INVOICE_COLUMNS)
        .cte("cancelled")
    )
    issued = (  # the note, once the invoice is cancelled with it: what the rest is written from
        select(note.c.id, note.c.number, _document_number(note).label("document_number"))
        .join_from(note, cancelled, cancelled.c.cancelled_with_id == note.c.id)
        .cte("issued")
    )
    note_id = sql_cast(issued.c.id, Text)
    writes = [
        _insert_from(note, NOTE_LINES, "l", [{"credit_note_id": note.c.id}] * lines),
        _insert_from(
            issued, JOURNAL, "j", [{"txn": _param("j_txn", JOURNAL.c.txn) + note_id}] * entries
        ),
        _insert_from(
            issued,
            AUDIT,
            "a",
            [
                {
                    "subject_id": note_id,
                    "after": _with_keys("a0_after", AUDIT.c.after, number=issued.c.number),
                },
                {"after": _with_keys("a1_after", AUDIT.c.after, credit_note_id=issued.c.id)},
            ],
        ),
    ]
    if message:
        payload = _with_keys(
            "o0_payload",
            OUTBOX.c.payload,
            credit_note_id=issued.c.id,
            credit_note_number=issued.c.document_number,
        )
        writes.append(_insert_from(issued, OUTBOX, "o", [{"payload": payload}]))
    counted = select(func.count().label("moved")).select_from(moved).subquery("counted")
    return (
        select(counted.c.moved, issued.c.id.label("note_id"), issued.c.number.label("note_number"))
        .add_columns(*cancelled.c)
        .select_from(counted)
        .outerjoin(cancelled, true())
        .outerjoin(issued, true())
        .add_cte(*(w.cte(f"write_{i}") for i, w in enumerate(writes)))
    )


@functools.lru_cache(maxsize=64)
def void_statement(lines: int, entries: int) -> Any:
    """PostgreSQL: an undo's writes in ONE statement, those `_void` runs one by one on SQLite:
    the note voided (only an issued one: a second undo finds it void, B4), the invoice given
    back, `lines` lines' credit with it, `entries` journal rows, the audit row and the
    message, each only once the note is void. The values are bound as `b_...` (the UPDATEs),
    `j<i>_`, `a0_`, `o0_`; the one row answered says whether the note was voided (`note_id`),
    how many lines `moved` (B9), and the invoice as it is now."""
    voided = VOID_NOTE.cte("voided")
    undone = UNDO_INVOICE.where(select(voided.c.id).exists()).cte("undone")
    writes = [_insert_from(undone, AUDIT, "a", [{}]), _insert_from(undone, OUTBOX, "o", [{}])]
    if entries:
        writes.insert(0, _insert_from(undone, JOURNAL, "j", [{}] * entries))
    moved: Any = literal_column("0").label("moved")
    if lines:
        credit_back = move_lines_statement(lines).where(select(undone.c.id).exists()).cte("moved")
        moved = select(func.count()).select_from(credit_back).scalar_subquery().label("moved")
    return (
        select(moved, voided.c.id.label("note_id"), *undone.c)
        .select_from(select(true()).subquery("one"))
        .outerjoin(voided, true())
        .outerjoin(undone, true())
        .add_cte(*(w.cte(f"write_{i}") for i, w in enumerate(writes)))
    )


def _insert_from(source: Any, table: Table, prefix: str, rows: Sequence[dict[str, Any]]) -> Any:
    """One INSERT of `rows` into `table` for each row of `source` (none when it has none), in
    their order (the ids as separate INSERTs would have them): each column but the id bound as
    `{prefix}{i}_{column}`, except those the row computes."""
    columns = [c for c in table.c if not c.primary_key]
    selects = [
        select(
            *(row.get(c.name, _param(f"{prefix}{i}_{c.name}", c)) for c in columns)
        ).select_from(source)
        for i, row in enumerate(rows)
    ]
    return insert(table).from_select(
        columns, selects[0] if len(selects) == 1 else union_all(*selects)
    )


def _with_keys(bound: str, column: Any, **keys: Any) -> Any:
    """A JSON document for `column`, bound as `bound`, with `keys` set by the statement: jsonb's
    `||` keeps the right side's value of a key both have, and jsonb keeps no key order, so the
    stored document is the one the whole bound document would have been."""
    pairs: list[Any] = []
    for name, value in keys.items():
        pairs += (literal_column(f"'{name}'"), value)
    return _param(bound, column).op("||", return_type=column.type)(func.jsonb_build_object(*pairs))


def _document_number(note: Any) -> Any:
    """`read_models.document_number` in SQL: CN-000007, more digits once past six."""
    digits = sql_cast(note.c.number, Text)
    return note.c.series + "-" + func.lpad(digits, func.greatest(6, func.length(digits)), "0")


# --- running them -------------------------------------------------------------------------


async def connection(session: AsyncSession) -> AsyncConnection:
    """The unit of work's connection, with anything the session holds written first (so a row
    it added is there for a foreign key, in the order the ORM would have written it)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


def invoice_view(row: Row[Any], lines: tuple[InvoiceLineView, ...]) -> InvoiceView:
    """The read model of an invoice row returned by the statements above (`INVOICE_COLUMNS`)."""
    return from_row(
        InvoiceView,
        row,
        number=document_number(row.series, row.number),
        balance_minor=row.total_minor - row.paid_minor - row.settled_minor,
        lines=lines,
    )


class Locked(NamedTuple):
    """An invoice as its lock read it, with what a cancellation asks of it at once."""

    invoice: InvoiceView
    services_in_use: list[str]  # its lines' services in use (B1), lowest id first
    live_cancellation: int | None  # the issued note that cancelled it, if any


def lock_invoice(conn: Connection, invoice_id: int) -> Locked:
    """Take the invoice's row lock and read it fresh, lines included: every money change on one
    invoice is serialised from here to the commit (one statement; on PostgreSQL two when the
    lock waited for another transaction: see `_SEEN_VERSION`)."""
    locked = _locked(conn, LOCKS_INVOICE, {"b_invoice_id": invoice_id})
    if locked is None:
        raise errors.InvoiceNotFound(id=invoice_id)
    return locked


def lock_note_invoice(conn: Connection, note_id: int) -> InvoiceView | None:
    """`lock_invoice` on the invoice a credit note credits, named by the note; None when there
    is no such note."""
    locked = _locked(conn, LOCKS_NOTE_INVOICE, {"b_note_id": note_id})
    return None if locked is None else locked.invoice


def _locked(conn: Connection, statements: dict[str, Any], params: dict[str, int]) -> Locked | None:
    lock = statements[conn.dialect.name]
    head = conn.execute(lock, params).one_or_none()
    if head is None:
        return None
    lines: list[Any]
    if conn.dialect.name == "sqlite" or head.seen_version == head.locked_version - 1:
        listed = head.lines_json  # asyncpg decodes json itself; sqlite3 gives the text
        listed = json.loads(listed) if isinstance(listed, str) else listed
        live, lines = head.live_note_id, sorted(listed, key=_BY_POSITION)
    else:  # PostgreSQL, after waiting for another transaction's lock: read them fresh
        rows = conn.execute(AFTER_LOCK, {"b_invoice_id": head.id}).all()
        live, lines = rows[0].live_note_id, [r[1:] for r in rows if r[1] is not None]
    n = len(LINE_COLUMNS)
    in_use = {ln[n]: ln[n + 1] for ln in lines if ln[n] is not None}
    views = tuple(InvoiceLineView(*ln[:n]) for ln in lines)
    services = [in_use[i] for i in sorted(in_use)]
    return Locked(invoice_view(head, views), services, live)


def read_invoice_view(conn: Connection, invoice_id: int) -> InvoiceView | None:
    """An invoice's read model, lines included (`read_invoice_views` of one id: two prebuilt
    SELECTs, no ORM entities); None when there is no such invoice."""
    return next(iter(read_invoice_views(conn, [invoice_id])), None)


async def read_invoice_view_at_once(conn: AsyncConnection, invoice_id: int) -> InvoiceView | None:
    """`read_invoice_view` in ONE statement (the invoice joined to its lines), for a read on a
    bare connection (`Transactor.read_statement`), which a single statement keeps consistent."""
    rows = (await conn.execute(SELECT_INVOICE_WITH_LINES, {"b_invoice_id": invoice_id})).all()
    if not rows:
        return None
    width = len(INVOICE_COLUMNS)
    lines = tuple(InvoiceLineView(*r[width:]) for r in rows if r[width] is not None)
    return invoice_view(rows[0], lines)


def read_invoice_views(conn: Connection, invoice_ids: Sequence[int]) -> list[InvoiceView]:
    """The read models of several invoices in `invoice_ids`' order, in two SELECTs whatever
    their number (not one pair per invoice); ids that name no invoice are left out."""
    if not invoice_ids:
        return []
    ids = {"b_invoice_ids": list(invoice_ids)}
    lines = _grouped(conn.execute(SELECT_LINES_OF, ids), InvoiceLineView)
    rows = {r.id: r for r in conn.execute(SELECT_INVOICES, ids)}
    return [invoice_view(rows[i], lines.get(i, ())) for i in invoice_ids if i in rows]


def _grouped(rows: Any, make: Callable[..., V]) -> dict[Any, tuple[V, ...]]:
    """Rows whose first column is their owner's id, made into views grouped by that id."""
    grouped: dict[Any, list[V]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(make(*row[1:]))
    return {owner: tuple(views) for owner, views in grouped.items()}


def services_in_use(conn: Connection, service_ids: Sequence[int | None]) -> list[str]:
    ids = [s for s in service_ids if s is not None]
    if not ids:
        return []
    return list(conn.execute(SERVICES_IN_USE, {"b_service_ids": ids}).scalars())


def next_number(conn: Connection, series: str) -> int:
    """B10: the next number of `series`, drawn in this transaction (rolled back with it)."""
    drawn = conn.execute(NEXT_NUMBER, {"b_series": series}).scalar_one()
    return int(drawn) - 1


def move_lines_params(parts: Sequence[CreditPart]) -> dict[str, int]:
    """The parameters of `move_lines_statement(len(parts))`."""
    params: dict[str, int] = {}
    for i, part in enumerate(parts):
        params[f"b_id{i}"] = part.line_id
        params[f"b_net{i}"] = part.net_minor
        params[f"b_tax{i}"] = part.tax_minor
    return params


def move_lines(
    conn: Connection, lines: tuple[InvoiceLineView, ...], parts: Sequence[CreditPart]
) -> tuple[InvoiceLineView, ...]:
    """Credit each part's line by its amounts (B9), in one statement; the lines as they are now.
    ExceedsCreditableAmount when any line's guard did not hold (nothing then changed is kept:
    the refusal rolls the transaction back)."""
    statement = move_lines_statement(len(parts))
    moved = {r.id: r for r in conn.execute(statement, move_lines_params(parts))}
    if len(moved) != len(parts):
        raise errors.ExceedsCreditableAmount(creditable=0)
    return tuple(
        ln
        if (m := moved.get(ln.id)) is None
        else dataclasses.replace(
            ln, credited_net_minor=m.credited_net_minor, credited_tax_minor=m.credited_tax_minor
        )
        for ln in lines
    )


def credited_lines(
    lines: tuple[InvoiceLineView, ...], parts: Sequence[CreditPart]
) -> tuple[InvoiceLineView, ...]:
    """The lines once `move_lines` credited `parts`, as its UPDATE sets them (under the
    invoice's lock, the lines as read are the lines as written)."""
    by_line = {p.line_id: p for p in parts}
    return tuple(
        ln
        if (p := by_line.get(ln.id)) is None
        else dataclasses.replace(
            ln,
            credited_net_minor=ln.credited_net_minor + p.net_minor,
            credited_tax_minor=ln.credited_tax_minor + p.tax_minor,
        )
        for ln in lines
    )


def note_line_views(
    lines: Sequence[InvoiceLineView], parts: Sequence[CreditPart]
) -> tuple[CreditNoteLineView, ...]:
    """A note's lines, each credited part beside the invoice line it reverses."""
    by_id = {ln.id: ln for ln in lines}
    return tuple(
        CreditNoteLineView(
            invoice_line_id=part.line_id,
            position=position,
            sku=by_id[part.line_id].sku,
            name=by_id[part.line_id].name,
            quantity=by_id[part.line_id].quantity,
            unit_price_minor=by_id[part.line_id].unit_price_minor,
            tax_rate_bp=by_id[part.line_id].tax_rate_bp,
            net_minor=part.net_minor,
            tax_minor=part.tax_minor,
            total_minor=part.net_minor + part.tax_minor,
        )
        for position, part in enumerate(parts, 1)
    )


_NOTE_LINE_FIELDS = tuple(f.name for f in dataclasses.fields(CreditNoteLineView))


def note_line_rows(
    views: Sequence[CreditNoteLineView], note_id: int | None = None
) -> list[dict[str, object]]:
    """The rows of `INSERT_NOTE_LINES` for a note's line views (its id, when known)."""
    rows = [{name: getattr(v, name) for name in _NOTE_LINE_FIELDS} for v in views]
    if note_id is not None:
        for row in rows:
            row["credit_note_id"] = note_id
    return rows


def rows_params(prefix: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows as the parameters of `issue_statement`'s INSERTs: `{prefix}{i}_{column}`."""
    return {f"{prefix}{i}_{k}": v for i, row in enumerate(rows) for k, v in row.items()}


def note_view(
    note_id: int,
    values: dict[str, Any],
    invoice_number: str | None,
    lines: tuple[CreditNoteLineView, ...],
) -> CreditNoteView:
    """The read model of a credit note from the values it was inserted with (`INSERT_NOTE`)."""
    return CreditNoteView(
        id=note_id,
        number=document_number(values["series"], values["number"]),
        invoice_id=values["invoice_id"],
        invoice_number=invoice_number,
        customer_id=values["customer_id"],
        currency=values["currency"],
        kind=values["kind"],
        status=values["status"],
        reason=values["reason"],
        net_minor=values["net_minor"],
        tax_minor=values["tax_minor"],
        total_minor=values["total_minor"],
        settled_minor=values["settled_minor"],
        refund_minor=values["refund_minor"],
        account_credit_minor=values["account_credit_minor"],
        remainder=values["remainder"],
        created_by=values["created_by"],
        created_at=values["created_at"],
        issued_at=values["issued_at"],
        decided_by=values["decided_by"],
        decision_note=values["decision_note"],
        self_service=values["self_service"],
        undo_until=values["undo_until"],
        voided_at=values["voided_at"],
        lines=lines,
    )


def read_credit_note_view(conn: Connection, note_id: int) -> CreditNoteView | None:
    """A credit note's read model (`read_credit_note_views` of one id: two prebuilt SELECTs,
    its invoice's number joined in); None when there is no such note."""
    return next(iter(read_credit_note_views(conn, [note_id])), None)


def read_credit_note_view_at_once(conn: Connection, note_id: int) -> CreditNoteView | None:
    """`read_credit_note_view` in ONE statement, for a read on a bare connection."""
    rows = conn.execute(SELECT_NOTE_WITH_LINES, {"b_note_id": note_id}).all()
    if not rows:
        return None
    width = len(SELECT_NOTE_WITH_INVOICE.selected_columns)
    values = dict(rows[0]._mapping)
    invoice_number = document_number(values["invoice_series"], values["invoice_document_number"])
    lines = tuple(CreditNoteLineView(*r[width:]) for r in rows if r[width] is not None)
    return note_view(note_id, values, invoice_number, lines)


def read_credit_note_views(conn: Connection, note_ids: Sequence[int]) -> list[CreditNoteView]:
    """The read models of several credit notes in `note_ids`' order, in two SELECTs whatever
    their number; ids that name no note are left out."""
    if not note_ids:
        return []
    ids = {"b_note_ids": list(note_ids)}
    lines = _grouped(conn.execute(SELECT_NOTE_LINES_OF, ids), CreditNoteLineView)
    rows = {r.id: dict(r._mapping) for r in conn.execute(SELECT_NOTES_WITH_INVOICE, ids)}
    return [
        note_view(
            i,
            rows[i],
            document_number(rows[i]["invoice_series"], rows[i]["invoice_document_number"]),
            lines.get(i, ()),
        )
        for i in note_ids
        if i in rows
    ]


def keep_session_current(session: AsyncSession, invoice: InvoiceView) -> None:
    """An invoice (and its lines) the session already holds gets the values just written, as
    the ORM's "evaluate" synchronisation did: a caller that loaded them reads them current.
    Nothing to do on the hot path, where the session holds neither."""
    identity_map = session.identity_map
    held = identity_map.get(identity_key(Invoice, invoice.id))
    if held is not None:
        for name in ("status", "credited_minor", "settled_minor", "refunded_minor",
                     "cancelled_with_id", "cancelled_at", "cancel_reason"):  # fmt: skip
            set_committed_value(held, name, getattr(invoice, name))
    for ln in invoice.lines:
        line = identity_map.get(identity_key(InvoiceLine, ln.id))
        if line is not None:
            set_committed_value(line, "credited_net_minor", ln.credited_net_minor)
            set_committed_value(line, "credited_tax_minor", ln.credited_tax_minor)
