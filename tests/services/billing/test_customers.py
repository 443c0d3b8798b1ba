"""Customers are found by their phone's digits (the shared-contact link), through an index."""

from __future__ import annotations

import billing
from billing.commands import UpdateCustomer
from support_desk.core.tx import Transactor
from tests.factories import STAFF, make_customer


async def test_a_phone_matches_by_its_digits_and_follows_updates(tx: Transactor) -> None:
    ann = await make_customer(tx, phone="+44 20 7946-0001")
    await make_customer(tx, phone="+49 30 1111")
    await make_customer(tx, phone="+49-30-1111")  # shared: matches nobody

    found = await tx.read(billing.queries.customer_by_phone, "442079460001")
    ambiguous = await tx.read(billing.queries.customer_by_phone, "49301111")
    await tx.run(billing.update_customer, UpdateCustomer(ann.id, STAFF, phone="+1 555 0100"))
    old = await tx.read(billing.queries.customer_by_phone, "+44 20 7946 0001")
    new = await tx.read(billing.queries.customer_by_phone, "15550100")

    assert found is not None and found.id == ann.id
    assert ambiguous is None and old is None
    assert new is not None and new.id == ann.id
    assert await tx.read(billing.queries.customer_by_phone, "no digits") is None
