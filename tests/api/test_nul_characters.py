"""A NUL character, which PostgreSQL refuses in text and jsonb, is a clean 400, never a 500."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


async def test_a_nul_in_a_name_or_a_key_is_a_clean_answer_on_both_backends(
    client: TestClient, auth: dict[str, str]
) -> None:
    created = await client.post(
        "/api/v1/customers", headers=auth, json={"externalId": "nul\u0000", "name": "A\u0000B"}
    )
    keyed = await client.post(
        "/api/v1/customers",
        headers={**auth, "Idempotency-Key": "k"},
        json={"externalId": "c-2", "name": "Bad\u0000Name"},
    )

    assert (created.status, keyed.status) == (400, 400)
    assert (await created.json())["reason"] == "validation_error"
