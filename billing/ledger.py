"""Double-entry postings (M7): each money event posts entries that sum to zero.

Accounts: `receivable` (what the customer owes on an invoice), `revenue`, `tax`, `cash`,
`account_credit` (what we owe the customer as credit). The receivable of an invoice always equals
its balance, which the tests check against the invoice row.
"""

from __future__ import annotations

from sqlalchemy import insert

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
    if sum(entries.values()) != 0:
        raise AssertionError(f"unbalanced journal transaction {txn}: {entries}")
    rows = [
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
    if rows:
        await uow.session.execute(insert(JournalEntry), rows)


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
    entries = {
        "revenue": net,
        "tax": tax,
        "receivable": -settled,
        "cash": -refund,
        "account_credit": -account_credit,
    }
    await post(
        uow,
        txn,
        customer_id=cust,
        invoice_id=inv_id,
        currency=cur,
        entries={k: sign * v for k, v in entries.items()},
    )
