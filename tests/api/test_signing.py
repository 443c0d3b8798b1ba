"""Signed requests in the seed API's HTTP Signature scheme, from a client written here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from email.utils import format_datetime
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from billing.models import Invoice
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.api.conftest import simple_invoice
from web.platform.keys import NewApiKey

HEADERS = "host date request-target digest v-c-merchant-id"


class SignedClient:
    """What a client written for the seed API sends: Date, Host, Digest, v-c-merchant-id."""

    def __init__(self, client: TestClient, key: NewApiKey, clock: FrozenClock) -> None:
        self.client, self.key, self.clock = client, key, clock

    def headers(
        self, method: str, target: str, body: bytes, secret: str | None = None
    ) -> dict[str, str]:
        host = f"{self.client.host}:{self.client.port}"
        values = {
            "host": host,
            "date": format_datetime(self.clock.now(), usegmt=True),
            "request-target": f"{method.lower()} {target}",
            "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
            "v-c-merchant-id": str(self.key.merchant_id),
        }
        names = HEADERS.split() if body else [n for n in HEADERS.split() if n != "digest"]
        message = "\n".join(f"{n}: {values[n]}" for n in names)
        raw_secret = base64.b64decode(secret or str(self.key.secret))
        signature = base64.b64encode(
            hmac.new(raw_secret, message.encode(), hashlib.sha256).digest()
        ).decode()
        out = {
            "Host": host,
            "Date": values["date"],
            "v-c-merchant-id": values["v-c-merchant-id"],
            "Signature": f'keyid="{self.key.key_id}", algorithm="HmacSHA256", '
            f'headers="{" ".join(names)}", signature="{signature}"',
        }
        if body:
            out |= {"Digest": values["digest"], "Content-Type": "application/json"}
        return out

    async def send(self, method: str, target: str, payload: Any = None, **tweak: Any) -> Any:
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = self.headers(
            method, tweak.get("signed_target", target), body, tweak.get("secret")
        )
        sent = tweak.get("sent_body", body)
        return await self.client.request(method, target, data=sent, headers=headers)


def _client(client: TestClient, signing_key: NewApiKey, clock: FrozenClock) -> SignedClient:
    return SignedClient(client, signing_key, clock)


async def _invoices(tx: Transactor) -> int:
    async def run(uow: Any) -> int:
        return int(await uow.session.scalar(select(func.count(Invoice.id))))

    return await tx.read(run)


async def test_a_signed_client_creates_lists_and_cancels(
    client: TestClient, signing_key: NewApiKey, clock: FrozenClock
) -> None:
    signed = _client(client, signing_key, clock)

    created = await signed.send("POST", "/invoicing/v2/invoices", simple_invoice())
    invoice_id = (await created.json())["id"]
    published = await signed.send("POST", f"/invoicing/v2/invoices/{invoice_id}/publication", {})
    listed = await signed.send("GET", "/invoicing/v2/invoices?offset=0&limit=10&status=CREATED")
    cancelled = await signed.send("POST", f"/invoicing/v2/invoices/{invoice_id}/cancelation", {})

    assert created.status == 201, await created.text()
    assert published.status == 200
    assert listed.status == 200
    assert [i["id"] for i in (await listed.json())["invoices"]] == [invoice_id]
    assert cancelled.status == 200
    assert (await cancelled.json())["status"] == "CANCELED"


async def test_tampering_is_refused_with_401(
    client: TestClient, signing_key: NewApiKey, clock: FrozenClock, tx: Transactor
) -> None:
    signed = _client(client, signing_key, clock)
    path = "/invoicing/v2/invoices"
    body = simple_invoice()
    other = json.dumps(simple_invoice(amount="1.00")).encode()

    tampered = await signed.send("POST", path, body, sent_body=other)
    moved = await signed.send("GET", path + "?status=PAID", signed_target=path + "?status=DRAFT")
    wrong = await signed.send("POST", path, body, secret=base64.b64encode(b"x" * 32).decode())
    headers = signed.headers("POST", path, other)
    clock.advance(minutes=5, seconds=1)
    stale = await client.post(path, data=other, headers=headers)

    assert [r.status for r in (tampered, moved, wrong, stale)] == [401, 401, 401, 401]
    assert await _invoices(tx) == 0


async def test_b13_a_replayed_signed_create_makes_one_invoice(
    client: TestClient, signing_key: NewApiKey, clock: FrozenClock, tx: Transactor
) -> None:
    signed = _client(client, signing_key, clock)
    body = json.dumps(simple_invoice()).encode()
    headers = signed.headers("POST", "/invoicing/v2/invoices", body)

    first = await client.post("/invoicing/v2/invoices", data=body, headers=headers)
    clock.advance(minutes=4)
    replay = await client.post("/invoicing/v2/invoices", data=body, headers=headers)

    assert (first.status, replay.status) == (201, 201)
    assert await replay.read() == await first.read()
    assert await _invoices(tx) == 1


async def test_b13_a_captured_signed_request_cannot_run_again_under_a_new_idempotency_key(
    client: TestClient, signing_key: NewApiKey, clock: FrozenClock, tx: Transactor
) -> None:
    signed = _client(client, signing_key, clock)
    body = json.dumps(simple_invoice()).encode()
    headers = signed.headers("POST", "/invoicing/v2/invoices", body)

    first = await client.post(
        "/invoicing/v2/invoices", data=body, headers={**headers, "Idempotency-Key": "a"}
    )
    replay = await client.post(
        "/invoicing/v2/invoices", data=body, headers={**headers, "Idempotency-Key": "b"}
    )

    assert (first.status, replay.status) == (201, 201)
    assert await replay.read() == await first.read()
    assert await _invoices(tx) == 1


async def test_b13_a_replay_under_a_key_that_sorts_first_leaves_that_key_answered(
    client: TestClient, signing_key: NewApiKey, clock: FrozenClock, tx: Transactor
) -> None:
    """The new key sorts before the signature's ("0" < "sig:…"): it must not stay reserved
    with no answer, so a later request with it replays instead of getting 409 forever."""
    signed = _client(client, signing_key, clock)
    body = json.dumps(simple_invoice()).encode()
    headers = signed.headers("POST", "/invoicing/v2/invoices", body)
    first = await client.post("/invoicing/v2/invoices", data=body, headers=headers)
    replay = await client.post(
        "/invoicing/v2/invoices", data=body, headers={**headers, "Idempotency-Key": "0"}
    )
    clock.advance(minutes=1)
    fresh = signed.headers("POST", "/invoicing/v2/invoices", body)
    later = await client.post(
        "/invoicing/v2/invoices", data=body, headers={**fresh, "Idempotency-Key": "0"}
    )

    assert (first.status, replay.status, later.status) == (201, 201, 201)
    assert await replay.read() == await later.read() == await first.read()
    assert await _invoices(tx) == 1
