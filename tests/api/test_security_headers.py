"""W13, W14: every kind of answer carries the hardening headers; the docs page needs no inline
style or script, so the CSP forbids them."""

from __future__ import annotations

from typing import Any

import pytest

from support_desk.wiring import SECURITY_HEADERS


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/healthz",
        "/api/openapi.json",
        "/api/docs",
        "/api/docs.css",
        "/api/v1/customers",
        "/invoicing/v2/invoices/nope",
        "/no/such/page",
    ],
)
async def test_w13_every_answer_carries_the_security_headers(client: Any, path: str) -> None:
    response = await client.get(path)

    for name, value in SECURITY_HEADERS.items():
        if path == "/" and name == "Referrer-Policy":
            # its demo buttons post to itself; with no-referrer Chromium posts Origin: null
            value = "same-origin"  # still nothing to other sites
        assert response.headers.get(name) == value, (path, name)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


async def test_the_docs_page_links_its_stylesheet_instead_of_inlining_it(client: Any) -> None:
    page = await (await client.get("/api/docs")).text()
    css = await client.get("/api/docs.css")

    assert "<style" not in page and "<script" not in page and 'href="docs.css"' in page
    assert css.status == 200 and css.content_type == "text/css"
