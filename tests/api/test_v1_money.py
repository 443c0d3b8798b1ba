"""/api/v1/: a service terminated at the end of its billing period (B5), and a credit note
whose refund goes back to a chosen payment (B6); each with its refusals in the API's error
shape, replayed byte for byte under an idempotency key, and published in the OpenAPI
document."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

import billing
from billing.read_models import PaymentView
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor, UnitOfWork
from tests.api.conftest import create, simple_invoice
from web.api.schemas_v1 import TerminationIn
from web.platform.keys import CreateApiKey, create_api_key


async def _post(client: TestClient, auth: dict[str, str], path: str, body: Any) -> Any:
    response = await client.post(path, headers=auth, json=body)
    assert response.status in (200, 201), await response.text()
    return await response.json()


async def _service(client: TestClient, auth: dict[str, str], status: str = "active") -> Any:
    customer = await _post(client, auth, "/api/v1/customers", {"externalId": "c-1", "name": "C"})
    return await _post(
        client,
        auth,
        "/api/v1/services",
        {"customerId": customer["id"], "name": "VPS", "status": status},
    )


async def _terminate(
    client: TestClient, auth: dict[str, str], service_id: int, **body: Any
) -> tuple[int, Any]:
    response = await client.post(
        f"/api/v1/services/{service_id}/termination",
        headers=auth,
        json={"reason": "moving away", **body},
    )
    return response.status, await response.json()


# B5: termination at period end


async def test_b5_period_end_keeps_the_service_until_its_period_ends(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)
    body = simple_invoice("c-1")
    body["orderInformation"]["lineItems"][0]["serviceId"] = service["id"]
    body["invoiceInformation"] = {"sendImmediately": True}
    invoice = await create(client, auth, body)

    status, done = await _terminate(client, auth, service["id"], when="period_end")
    read = await client.get(f"/invoicing/v2/invoices/{invoice['id']}", headers=auth)

    assert service["periodEnd"] == "2026-02-04"  # the clock starts on 5 Jan 2026
    assert "terminatesOn" not in service
    assert status == 200, done
    assert done["service"]["status"] == "active"  # kept until then
    assert done["service"]["terminatesOn"] == done["service"]["periodEnd"] == "2026-02-04"
    assert (done["canceledInvoiceIds"], done["creditNoteIds"]) == ([], [])
    assert (await read.json())["status"] == "SENT"  # nothing is cancelled now


async def test_b5_when_defaults_to_now(client: TestClient, auth: dict[str, str]) -> None:
    service = await _service(client, auth)

    status, done = await _terminate(client, auth, service["id"])

    assert status == 200, done
    assert done["service"]["status"] == "terminated"
    assert "terminatesOn" not in done["service"]


async def test_b5_a_second_schedule_is_refused_with_the_day(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)
    await _terminate(client, auth, service["id"], when="period_end")

    status, refused = await _terminate(client, auth, service["id"], when="period_end")

    assert status == 400
    assert refused["reason"] == "termination_already_scheduled"
    assert "2026-02-04" in refused["message"]


async def test_b5_delete_withdraws_the_schedule_once_and_then_says_there_is_none(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)
    await _terminate(client, auth, service["id"], when="period_end")
    path = f"/api/v1/services/{service['id']}/termination"
    keyed = {**auth, "Idempotency-Key": "keep-1"}

    kept = await client.delete(path, headers=keyed)
    replay = await client.delete(path, headers=keyed)
    again = await client.delete(path, headers=auth)
    spec = await (await client.get("/api/openapi.json")).json()

    assert kept.status == replay.status == 200
    assert await replay.read() == await kept.read()
    body = await kept.json()
    assert body["status"] == "active" and "terminatesOn" not in body
    refused = await again.json()
    assert (again.status, refused["reason"]) == (400, "no_termination_scheduled")
    assert "delete" in spec["paths"]["/api/v1/services/{id}/termination"]


async def test_b5_a_terminated_service_is_not_scheduled(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)
    await _terminate(client, auth, service["id"])

    status, refused = await _terminate(client, auth, service["id"], when="period_end")

    assert (status, refused["reason"]) == (400, "service_already_terminated")


async def test_b5_no_period_running_is_refused(
    client: TestClient, auth: dict[str, str], clock: FrozenClock
) -> None:
    service = await _service(client, auth)
    clock.advance(days=31)  # 5 Feb: its first month is over, nothing invoiced since

    status, refused = await _terminate(client, auth, service["id"], when="period_end")

    assert (status, refused["reason"]) == (400, "no_billing_period")
    assert refused["status"] == 400 and refused["message"]


async def test_b5_an_unknown_when_is_a_validation_error(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)

    status, refused = await _terminate(client, auth, service["id"], when="tomorrow")

    assert status == 400
    assert refused["details"][0]["field"] == "when"


async def test_b5_a_replayed_schedule_answers_the_same_bytes(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)
    headers = {**auth, "Idempotency-Key": "stop-at-end-1"}
    path, body = (
        f"/api/v1/services/{service['id']}/termination",
        {
            "reason": "moving away",
            "when": "period_end",
        },
    )

    first = await client.post(path, headers=headers, json=body)
    again = await client.post(path, headers=headers, json=body)
    other = await client.post(path, headers=headers, json={**body, "when": "now"})

    assert first.status == again.status == 200
    assert await first.read() == await again.read()  # not "already scheduled"
    assert other.status == 422  # the same key with another request
    status, done = await _terminate(client, auth, service["id"], when="period_end")
    assert status == 400 and done["reason"] == "termination_already_scheduled"


async def test_b5_a_key_stored_before_when_existed_still_replays(
    client: TestClient, auth: dict[str, str]
) -> None:
    service = await _service(client, auth)
    headers = {**auth, "Idempotency-Key": "stop-now-1"}
    path = f"/api/v1/services/{service['id']}/termination"

    first = await client.post(path, headers=headers, json={"reason": "moving away"})
    again = await client.post(path, headers=headers, json={"reason": "moving away", "when": "now"})

    # the body's fingerprint is the one a request had before `when` existed
    assert TerminationIn(reason="moving away").model_dump_json() == '{"reason":"moving away"}'
    assert first.status == again.status == 200
    assert await first.read() == await again.read()


# B6: a refund against a chosen payment (money goes out: an admin key only)


@pytest.fixture
async def admin(tx: Transactor) -> dict[str, str]:
    key = await tx.run(create_api_key, CreateApiKey("ops", Actor.system("test"), admin=True))
    return {"Authorization": f"Bearer {key.key}"}


async def _paid_twice(client: TestClient, auth: dict[str, str], customer: str = "c-1") -> Any:
    """A 100.00 invoice paid 60.00 then 40.00: its id and the two payments' ids."""
    invoice = await create(client, auth, simple_invoice(customer))
    await client.post(f"/invoicing/v2/invoices/{invoice['id']}/publication", headers=auth)
    ids = []
    for amount in ("60.00", "40.00"):
        paid = await _post(
            client, auth, "/api/v1/payments", {"invoiceId": int(invoice["id"]), "amount": amount}
        )
        ids.append(paid["id"])
    return int(invoice["id"]), ids


async def _payments(tx: Transactor, invoice_id: int) -> list[PaymentView]:
    async def q(uow: UnitOfWork) -> list[PaymentView]:
        return list(await billing.queries.payments_of(uow, invoice_id))

    return await tx.read(q)


def _refund(invoice_id: int, payment_id: int | None, amount: str = "30.00") -> dict[str, Any]:
    body: dict[str, Any] = {
        "invoiceId": invoice_id,
        "reason": "outage credit",
        "amount": amount,
        "remainder": "refund",
    }
    if payment_id is not None:
        body["paymentId"] = payment_id
    return body


async def test_b6_the_refund_goes_back_to_the_chosen_payment(
    client: TestClient, auth: dict[str, str], admin: dict[str, str], tx: Transactor
) -> None:
    invoice_id, (first, second) = await _paid_twice(client, auth)

    response = await client.post(
        "/api/v1/credit-notes", headers=admin, json=_refund(invoice_id, first)
    )

    assert response.status == 201, await response.text()
    note = await response.json()
    assert (note["status"], note["totalAmount"], note["refundAmount"]) == (
        "issued",
        "30.00",
        "30.00",
    )
    assert (note["remainder"], note["accountCreditAmount"]) == ("refund", "0.00")
    refunded = {p.id: p.refunded_minor for p in await _payments(tx, invoice_id)}
    assert refunded == {first: 3000, second: 0}  # not the newest one


async def test_b6_without_a_payment_the_newest_is_refunded_first(
    client: TestClient, auth: dict[str, str], admin: dict[str, str], tx: Transactor
) -> None:
    invoice_id, (first, second) = await _paid_twice(client, auth)

    response = await client.post(
        "/api/v1/credit-notes", headers=admin, json=_refund(invoice_id, None)
    )

    assert response.status == 201, await response.text()
    refunded = {p.id: p.refunded_minor for p in await _payments(tx, invoice_id)}
    assert refunded == {first: 0, second: 3000}


async def test_b6_another_invoices_payment_is_refused(
    client: TestClient, auth: dict[str, str], admin: dict[str, str], tx: Transactor
) -> None:
    invoice_id, _ = await _paid_twice(client, auth)
    _, (elsewhere, _) = await _paid_twice(client, auth, "c-2")

    response = await client.post(
        "/api/v1/credit-notes", headers=admin, json=_refund(invoice_id, elsewhere)
    )
    notes = await client.get(f"/api/v1/credit-notes?invoiceId={invoice_id}", headers=auth)

    assert response.status == 400
    refused = await response.json()
    assert (refused["status"], refused["reason"]) == (400, "payment_not_refundable")
    assert refused["message"]
    assert (await notes.json())["items"] == []  # nothing written
    assert all(p.refunded_minor == 0 for p in await _payments(tx, invoice_id))


async def test_b6_a_payment_holding_too_little_is_refused(
    client: TestClient, auth: dict[str, str], admin: dict[str, str], tx: Transactor
) -> None:
    invoice_id, (_, second) = await _paid_twice(client, auth)

    response = await client.post(
        "/api/v1/credit-notes", headers=admin, json=_refund(invoice_id, second, "50.00")
    )

    assert response.status == 400
    refused = await response.json()
    assert refused["reason"] == "exceeds_refundable_amount"
    assert "40" in refused["message"]  # what that payment can take
    assert all(p.refunded_minor == 0 for p in await _payments(tx, invoice_id))


async def test_b6_a_credit_note_for_another_customers_invoice_is_not_found(
    client: TestClient, auth: dict[str, str], admin: dict[str, str]
) -> None:
    invoice_id, (first, _) = await _paid_twice(client, auth)
    other = await _post(client, auth, "/api/v1/customers", {"externalId": "c-9", "name": "N"})

    response = await client.post(
        "/api/v1/credit-notes",
        headers=admin,
        json={**_refund(invoice_id, first), "customerId": other["id"]},
    )

    assert response.status == 404


async def test_b6_a_replayed_refund_answers_the_same_bytes_and_refunds_once(
    client: TestClient, auth: dict[str, str], admin: dict[str, str], tx: Transactor
) -> None:
    invoice_id, (first, _) = await _paid_twice(client, auth)
    headers = {**admin, "Idempotency-Key": "refund-7"}

    one = await client.post(
        "/api/v1/credit-notes", headers=headers, json=_refund(invoice_id, first)
    )
    two = await client.post(
        "/api/v1/credit-notes", headers=headers, json=_refund(invoice_id, first)
    )
    notes = await client.get(f"/api/v1/credit-notes?invoiceId={invoice_id}", headers=auth)

    assert one.status == two.status == 201
    assert await one.read() == await two.read()
    assert len((await notes.json())["items"]) == 1
    assert {p.id: p.refunded_minor for p in await _payments(tx, invoice_id)}[first] == 3000


async def test_b6_a_replayed_refusal_answers_the_same_bytes(
    client: TestClient, auth: dict[str, str], admin: dict[str, str]
) -> None:
    invoice_id, (_, second) = await _paid_twice(client, auth)
    headers = {**admin, "Idempotency-Key": "refund-8"}
    body = _refund(invoice_id, second, "50.00")

    one = await client.post("/api/v1/credit-notes", headers=headers, json=body)
    two = await client.post("/api/v1/credit-notes", headers=headers, json=body)

    assert one.status == two.status == 400
    assert await one.read() == await two.read()


async def test_b6_an_ordinary_key_may_not_issue_a_credit_note(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    invoice_id, (first, _) = await _paid_twice(client, auth)

    response = await client.post(
        "/api/v1/credit-notes", headers=auth, json=_refund(invoice_id, first)
    )

    assert response.status == 403
    assert (await response.json())["reason"] == "credit_note_needs_admin_key"
    assert all(p.refunded_minor == 0 for p in await _payments(tx, invoice_id))


# the published document


async def test_the_openapi_document_lists_the_new_fields(client: TestClient) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    schemas = document["components"]["schemas"]

    def fields(name: str) -> dict[str, Any]:
        found = [v for k, v in schemas.items() if k.startswith(name)]
        assert found, name
        return found[0]["properties"]  # type: ignore[no-any-return]

    assert fields("TerminationIn")["when"]["enum"] == ["now", "period_end"]
    assert {"periodEnd", "terminatesOn"} <= set(fields("ServiceOut"))
    credit_in = fields("CreditNoteIn")
    assert {"invoiceId", "reason", "amount", "lines", "remainder", "paymentId"} <= set(credit_in)
    assert credit_in["remainder"]["enum"] == ["none", "refund", "account_credit"]
    assert {"refundAmount", "accountCreditAmount"} <= set(fields("CreditNoteOut"))
    created = document["paths"]["/api/v1/credit-notes"]["post"]
    assert {"201", "403"} <= set(created["responses"])
