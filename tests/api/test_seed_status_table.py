"""Seed 002 and DESIGN's status table: what each invoice status allows through the invoicing
API (DRAFT, CREATED, SENT, PARTIAL, PAID, CANCELED), cell by cell. A draft was never issued: it
is edited, published, or cancelled with no credit note and no message to the customer."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

import billing
from billing.commands import RecordPayment
from billing.models import CreditNote
from support_desk.core.actors import Actor
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.api.conftest import create, simple_invoice

BASE = "/invoicing/v2/invoices"
STATUSES = ("DRAFT", "CREATED", "SENT", "PARTIAL", "PAID", "CANCELED")
# action -> the statuses it is allowed in, and what each becomes (absent: unchanged)
ALLOWED: dict[str, tuple[set[str], dict[str, str]]] = {
    "update": ({"DRAFT"}, {}),  # an issued invoice is never edited
    "publication": ({"DRAFT"}, {"DRAFT": "CREATED"}),
    "delivery": ({"CREATED", "SENT", "PARTIAL", "PAID"}, {"CREATED": "SENT"}),
    "cancelation": (
        {"DRAFT", "CREATED", "SENT", "CANCELED"},
        dict.fromkeys(("DRAFT", "CREATED", "SENT"), "CANCELED"),
    ),
}


async def invoice_in(
    client: TestClient, auth: dict[str, str], tx: Transactor, status: str
) -> dict[str, Any]:
    """An invoice brought to `status` through the API (and a payment, for PARTIAL and PAID)."""
    invoice = await create(client, auth, simple_invoice(customer=f"t-{status}"))
    if status == "DRAFT":
        return invoice
    await post(client, auth, invoice["id"], "publication")
    if status == "SENT":
        await post(client, auth, invoice["id"], "delivery")
    if status in ("PARTIAL", "PAID"):
        amount = 1000 if status == "PARTIAL" else 10000
        await tx.run(
            billing.record_payment,
            RecordPayment(int(invoice["id"]), amount, Actor.system("bank")),
        )
    if status == "CANCELED":
        await post(client, auth, invoice["id"], "cancelation")
    current = await (await client.get(f"{BASE}/{invoice['id']}", headers=auth)).json()
    assert current["status"] == status
    return current  # type: ignore[no-any-return]


async def put(client: TestClient, auth: dict[str, str], invoice: dict[str, Any]) -> Any:
    """PUT the invoice with its price changed to 119.99."""
    customer = invoice["customerInformation"]["merchantCustomerId"]
    body = simple_invoice(customer=customer, amount="119.99")
    response = await client.put(f"{BASE}/{invoice['id']}", json=body, headers=auth)
    return response.status, await response.json()


async def post(client: TestClient, auth: dict[str, str], invoice_id: str, action: str) -> Any:
    response = await client.post(f"{BASE}/{invoice_id}/{action}", json={}, headers=auth)
    return response.status, await response.json()


async def counts(tx: Transactor, customer_id: int) -> tuple[int, list[str]]:
    async def read(uow: UnitOfWork) -> tuple[int, list[str]]:
        notes = await uow.session.scalar(
            select(func.count())
            .select_from(CreditNote)
            .where(CreditNote.customer_id == customer_id)
        )
        kinds = await uow.session.scalars(
            select(OutboxRow.kind).where(OutboxRow.customer_id == customer_id)
        )
        return int(notes or 0), list(kinds.all())

    return await tx.read(read)


async def customer_of(tx: Transactor, invoice_id: str) -> int:
    return (await tx.read(billing.queries.invoice_view, int(invoice_id))).customer_id


async def test_b1_a_draft_is_cancelled_with_no_credit_note_and_no_message(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    draft = await create(client, auth, simple_invoice())
    assert draft["status"] == "DRAFT"

    status, body = await post(client, auth, draft["id"], "cancelation")

    assert (status, body["status"]) == (200, "CANCELED")
    assert body["id"] == draft["id"] and body["submitTimeUtc"].endswith("Z")
    assert await counts(tx, await customer_of(tx, draft["id"])) == (0, [])
    again = await (await client.get(f"{BASE}/{draft['id']}", headers=auth)).json()
    assert again["status"] == "CANCELED"


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("status", STATUSES)
async def test_b1_seed_002_each_status_allows_what_the_table_says(
    client: TestClient, auth: dict[str, str], tx: Transactor, status: str, action: str
) -> None:
    invoice = await invoice_in(client, auth, tx, status)
    allowed, after = ALLOWED[action]

    if action == "update":
        code, body = await put(client, auth, invoice)
    else:
        code, body = await post(client, auth, invoice["id"], action)

    if status in allowed:
        assert code == 200, body
        assert body["status"] == after.get(status, status), body
    else:
        assert code == 400, body
        assert (body["status"], body["reason"]) == ("BADREQUEST", "ACTION_NOT_ALLOWED"), body
        assert set(body) == {"submitTimeUtc", "status", "reason", "message", "details"}
        current = await (await client.get(f"{BASE}/{invoice['id']}", headers=auth)).json()
        assert current["status"] == status
        assert current["orderInformation"] == invoice["orderInformation"]


async def test_b3_an_invoice_cancelled_through_the_api_speaks_as_the_company(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    invoice = await invoice_in(client, auth, tx, "SENT")

    await post(client, auth, invoice["id"], "cancelation")

    async def payload(uow: UnitOfWork) -> dict[str, Any]:
        row = await uow.session.scalar(
            select(OutboxRow).where(OutboxRow.kind == "credit_note_issued")
        )
        assert row is not None
        return dict(row.payload)

    from bot.transport.render import Renderer
    from support_desk.core.messages import read_message
    from support_desk.core.texts import Texts

    sent = read_message("credit_note_issued", await tx.read(payload))
    assert sent is not None
    text = Renderer(Texts()).text(sent, "en")
    russian = Renderer(Texts()).text(sent, "ru")
    assert "Cancelled by Support Desk Hosting Ltd." in text
    assert "invoicing API" not in text and "invoicing API" not in russian
    assert "Support Desk Hosting Ltd" in russian
