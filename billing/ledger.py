"""Double-entry postings (M7): each money event posts entries that sum to zero.

Accounts: `receivable` (what the customer owes on an invoice), `revenue`, `tax`, `cash`,
`account_credit` (what we owe the customer as credit). The receivable of an invoice always equals
its balance, which the tests check against the invoice row.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert

from billing.models import JournalEntry
from support_desk.core.tx import UnitOfWork


async def post(
    uow: UnitOfWork,
    txn: str,
    *,
    customer_id: int,
    invoice_id: int | None,
    currency: str,
    entries: dict[str, int],
) -> None:
    """Add one balanced transaction in one executemany; a zero entry is left out, an unbalanced
    one is a bug."""
    rows = journal_rows(
        uow,
        txn,
        customer_id=customer_id,
        invoice_id=invoice_id,
        currency=currency,
        entries=entries,
    )
    if rows:
        await uow.session.execute(insert(JournalEntry), rows)


# Core: a transaction's rows in one executemany (no autoflush: the caller's rows are written)
JOURNAL_INSERT = insert(cast(Table, JournalEntry.__table__))


def journal_rows(
    uow: UnitOfWork,
    txn: str,
    *,
    customer_id: int,
    invoice_id: int | None,
    currency: str,
    entries: dict[str, int],
) -> list[dict[str, object]]:
    """The rows of one balanced transaction, zero entries left out; unbalanced is a bug."""
    if sum(entries.values()) != 0:
        raise AssertionError(f"unbalanced journal transaction {txn}: {entries}")
    return [
        {
            "txn": txn,
            "account": account,
            "customer_id": customer_id,
            "invoice_id": invoice_id,
            "currency": currency,
            "amount_minor": amount,
            "at": uow.now,
        }
        for account, amount in entries.items()
        if amount
    ]


async def invoice_issued(
    uow: UnitOfWork, inv_id: int, cust: int, cur: str, net: int, tax: int
) -> None:
    await post(
        uow,
        f"invoice:{inv_id}",
        customer_id=cust,
        invoice_id=inv_id,
        currency=cur,
        entries={"receivable": net + tax, "revenue": -net, "tax": -tax},
    )


async def payment(
    uow: UnitOfWork,
    txn: str,
    inv_id: int,
    cust: int,
    cur: str,
    amount: int,
    *,
    from_credit: bool = False,
) -> None:
    source = "account_credit" if from_credit else "cash"
    await post(
        uow,
        txn,
        customer_id=cust,
        invoice_id=inv_id,
        currency=cur,
        entries={source: amount, "receivable": -amount},
    )


async def credit_note(
    uow: UnitOfWork,
    txn: str,
    inv_id: int,
    cust: int,
    cur: str,
    *,
    net: int,
    tax: int,
    settled: int,
    refund: int,
    account_credit: int,
    sign: int = 1,
) -> None:
    """Post a credit note (sign=1) or reverse it when voided (sign=-1)."""
    entries = credit_note_entries(net, tax, settled, refund, account_credit, sign)
    await post(uow, txn, customer_id=cust, invoice_id=inv_id, currency=cur, entries=entries)


def credit_note_entries(
    net: int, tax: int, settled: int, refund: int, account_credit: int, sign: int = 1
) -> dict[str, int]:
    """A credit note's entries: its net and tax reversed, against what it settled, refunded
    and turned into account credit (all of it undone when voided, sign -1)."""
    entries = {
        "revenue": net,
        "tax": tax,
        "receivable": -settled,
        "cash": -refund,
        "account_credit": -account_credit,
    }
    return {k: sign * v for k, v in entries.items()}
