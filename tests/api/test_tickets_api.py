"""/api/v1/tickets: ticketing's read-only resource, mounted through setup_api's extra routes, so
keys, audit, refusal shapes and the OpenAPI document are the billing API's (T4, T6, W7, W14)."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.services.ticketing.builders import (
    claimed,
    make_agent,
    make_customer,
    make_invoice,
    open_about,
    open_question,
    pay,
)
from ticketing.commands import AddCustomerMessage, AddNote, ReplyToTicket
from ticketing.models import TicketKind, TicketStatus
from ticketing.read_models import TicketView
from web.api.tickets import Kind, Status

TICKETS = "/api/v1/tickets"


async def get(client: TestClient, auth: dict[str, str], url: str) -> tuple[int, Any]:
    response = await client.get(url, headers=auth)
    return response.status, await response.json()


async def ids(client: TestClient, auth: dict[str, str], query: str = "") -> list[int]:
    status, body = await get(client, auth, f"{TICKETS}{query}")
    assert status == 200, body
    return [t["id"] for t in body["items"]]


async def discussed_ticket(tx: Transactor) -> TicketView:
    """A question with a reply, an internal note and a customer's answer, in that order."""
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer, "Why two invoices?"))
    await tx.run(ticketing.reply_to_ticket, ReplyToTicket(ticket.id, "Checking now.", agent))
    await tx.run(ticketing.add_note, AddNote(ticket.id, "SECRET: VIP, be generous", agent))
    await tx.run(
        ticketing.add_customer_message,
        AddCustomerMessage(ticket.id, "Thanks!", Actor.customer(customer.id)),
    )
    return ticket


async def test_w7_tickets_answer_nothing_without_a_key(client: TestClient) -> None:
    listed = await client.get(TICKETS)
    one = await client.get(f"{TICKETS}/1")

    assert (listed.status, one.status) == (401, 401)
    assert (await listed.json())["reason"] == "unauthorized"


async def test_the_list_is_newest_first_filtered_and_keyset_paged(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    first, second = await make_customer(tx), await make_customer(tx)
    question = await open_question(tx, first)
    refund = await open_about(tx, await pay(tx, await make_invoice(tx, first)), TicketKind.REFUND)
    other = await open_question(tx, second)
    await claimed(tx, await make_agent(tx), question)

    everything = await ids(client, auth)
    _, page_one = await get(client, auth, f"{TICKETS}?limit=2")
    _, page_two = await get(client, auth, f"{TICKETS}?limit=2&after={page_one['nextAfter']}")

    assert everything == [other.id, refund.id, question.id]
    assert [t["id"] for t in page_one["items"]] == [other.id, refund.id]
    assert page_one["nextAfter"] == refund.id
    assert [t["id"] for t in page_two["items"]] == [question.id]
    assert "nextAfter" not in page_two
    assert await ids(client, auth, f"?customerId={first.id}") == [refund.id, question.id]
    assert await ids(client, auth, "?status=in_progress") == [question.id]
    assert await ids(client, auth, "?kind=refund") == [refund.id]
    assert await ids(client, auth, f"?kind=question&customerId={second.id}") == [other.id]
    assert await ids(client, auth, "?status=resolved") == []


async def test_a_listed_ticket_carries_its_facts_in_camel_case_without_a_thread(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer))
    ticket = await open_about(tx, invoice, TicketKind.REFUND, reason="Double charge")

    _, body = await get(client, auth, TICKETS)

    [item] = body["items"]
    assert item["id"] == ticket.id
    assert (item["kind"], item["status"]) == ("refund", "open")
    assert (item["customerId"], item["invoiceId"]) == (customer.id, invoice.id)
    assert item["reason"] == "Double charge"
    assert item["amount"] == f"{invoice.total_minor / 100:.2f}"
    assert "messages" not in item


async def test_t4_the_detail_shows_messages_and_replies_but_never_an_internal_note(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    ticket = await discussed_ticket(tx)

    response = await client.get(f"{TICKETS}/{ticket.id}", headers=auth)

    assert response.status == 200
    raw = await response.text()
    body = await response.json()
    texts = [(m["kind"], m["text"]) for m in body["messages"]]
    assert ("reply", "Checking now.") in texts
    assert texts[-1] == ("customer", "Thanks!")
    assert {kind for kind, _ in texts} <= {"customer", "reply"}
    assert "SECRET" not in raw
    assert "approvalNote" not in body
    assert (body["id"], body["status"]) == (ticket.id, "in_progress")


@pytest.mark.parametrize("ticket_id", ["999999", "0", "abc", "99999999999999"])
async def test_an_unknown_ticket_is_not_found(
    client: TestClient, auth: dict[str, str], ticket_id: str
) -> None:
    status, body = await get(client, auth, f"{TICKETS}/{ticket_id}")

    assert status == 404
    assert body["status"] == 404
    assert body["reason"] == "ticket_not_found"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=ten",
        "status=closed",
        "kind=complaint",
        "customerId=x",
        "customerId=0",
        "after=-1",
        "colour=blue",
    ],
)
async def test_malformed_query_parameters_are_a_400(
    client: TestClient, auth: dict[str, str], query: str
) -> None:
    status, body = await get(client, auth, f"{TICKETS}?{query}")

    assert status == 400
    assert body["reason"] == "validation_error"
    assert body["details"][0]["field"] == query.split("=")[0]


async def test_t6_ticket_reads_are_audited_with_the_key_name(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    await client.get(TICKETS, headers=auth)
    await client.get(f"{TICKETS}/424242", headers=auth)

    async def calls(uow: UnitOfWork) -> list[dict[str, Any]]:
        stmt = select(AuditRow).where(AuditRow.action == "api.call").order_by(AuditRow.id)
        return [r.after for r in (await uow.session.scalars(stmt)) if r.after is not None]

    audited = [(c["path"], c["status"]) for c in await tx.read(calls)]
    assert audited == [(TICKETS, 200), (f"{TICKETS}/424242", 404)]


async def test_the_ticket_routes_are_in_the_openapi_document(client: TestClient) -> None:
    document = await (await client.get("/api/openapi.json")).json()

    listing = document["paths"][TICKETS]["get"]
    detail = document["paths"][TICKETS + "/{id}"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert set(params) == {"status", "kind", "customerId", "after", "limit"}
    assert "waiting_on_customer" in json.dumps(params["status"]["schema"])
    assert params["limit"]["schema"]["maximum"] == 200
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/TicketPageOut")
    assert detail["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TicketDetailOut"
    )
    assert {"400", "401", "404"} <= set(listing["responses"])
    schemas = document["components"]["schemas"]
    assert "messages" in schemas["TicketDetailOut"]["properties"]
    assert "approvalNote" not in schemas["TicketDetailOut"]["properties"]


def test_the_query_enums_match_ticketing_statuses_and_kinds() -> None:
    assert set(get_args(Status)) == set(TicketStatus)
    assert set(get_args(Kind)) == set(TicketKind)
