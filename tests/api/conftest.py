"""The REST API over aiohttp's test client, on the parametrised SQLite/PostgreSQL `tx`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.wiring import Runtime, build_web_app
from web.platform.keys import CreateApiKey, NewApiKey, create_api_key

# Seed 002's "Response to a Successful Request" example (seeds: docs/rules.md),
# copied verbatim, so that the suite does not depend on what lies beside the checkout.
SEED_RESPONSE = Path(__file__).with_name("data") / "seed_002_cancel_response.json"


def seed_response() -> dict[str, Any]:
    """The seed's example answer to a successful cancellation, parsed."""
    return json.loads(SEED_RESPONSE.read_text())  # type: ignore[no-any-return]


@pytest.fixture
async def client(aiohttp_client: Any, tx: Transactor, settings: Settings) -> TestClient:
    runtime = Runtime(settings, tx.engine, tx)
    return await aiohttp_client(build_web_app(runtime))


@pytest.fixture
async def second_process(
    aiohttp_client: Any, tx: Transactor, settings: Settings, clock: FrozenClock
) -> AsyncIterator[TestClient]:
    """Another application with its own engine and pool on the same database."""
    engine = make_engine(settings.database_url)
    other = Transactor(engine, clock, settings)
    yield await aiohttp_client(build_web_app(Runtime(settings, engine, other)))
    await engine.dispose()


@pytest.fixture
async def api_key(tx: Transactor) -> NewApiKey:
    return await tx.run(create_api_key, CreateApiKey("acme-billing", Actor.system("test")))


@pytest.fixture
async def signing_key(tx: Transactor) -> NewApiKey:
    return await tx.run(
        create_api_key, CreateApiKey("acme-signed", Actor.system("test"), signing=True)
    )


@pytest.fixture
def auth(api_key: NewApiKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key.key}"}


def seed_invoice(merchant_customer_id: str = "1234") -> dict[str, Any]:
    """The seed's invoice made consistent: 20 x 12.05, 5 % off, 8.25 % state tax, freight 20."""
    return {
        "customerInformation": {
            "name": "Tanya Lee",
            "email": "tanya.lee@my-email.world",
            "merchantCustomerId": merchant_customer_id,
            "company": {"name": "ABC"},
        },
        "invoiceInformation": {
            "description": "This is a test invoice",
            "dueDate": "2019-07-11",
            "allowPartialPayments": True,
            "deliveryMode": "none",
        },
        "orderInformation": {
            "amountDetails": {
                "totalAmount": "269.49",
                "currency": "USD",
                "discountAmount": 12.05,
                "discountPercent": 5,
                "subAmount": 241.00,
                "minimumPartialAmount": 20,
                "taxDetails": {"type": "State Tax", "amount": 20.54, "rate": 8.25},
                "freight": {"amount": 20, "taxable": True},
            },
            "lineItems": [
                {
                    "productSKU": "P653727383",
                    "productName": "First line item's name",
                    "unitPrice": "12.05",
                    "quantity": 20,
                    "totalAmount": None,
                }
            ],
        },
    }


def simple_invoice(customer: str = "c-1", amount: str = "100.00") -> dict[str, Any]:
    return {
        "customerInformation": {"merchantCustomerId": customer, "name": "Customer " + customer},
        "orderInformation": {
            "amountDetails": {"currency": "EUR"},
            "lineItems": [{"productName": "Hosting", "unitPrice": amount, "quantity": 1}],
        },
    }


async def create(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], **headers: str
) -> Any:
    response = await client.post("/invoicing/v2/invoices", json=body, headers={**auth, **headers})
    assert response.status == 201, await response.text()
    return await response.json()
