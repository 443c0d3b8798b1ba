"""The front page: where to go next, in the reader's language; the demo's chat only in the demo."""

from __future__ import annotations

from typing import Any

import pytest

from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.wiring import Runtime, build_web_app


async def test_the_front_page_points_to_the_api_docs_and_not_to_a_demo(client: Any) -> None:
    response = await client.get("/")
    page = await response.text()

    assert response.status == 200 and response.content_type == "text/html"
    assert 'href="/api/docs"' in page and 'href="/api/openapi.json"' in page
    assert "Offline demo" not in page
    assert "<script" not in page and "<style" not in page


@pytest.mark.parametrize(
    ("query", "accept", "heading"),
    [
        ("", "ru-RU,ru;q=0.9,en;q=0.5", "Для разработчиков"),
        ("?lang=ru", "en", "Для разработчиков"),
        ("?lang=en", "ru", "For developers"),
        ("", "de;q=1,ru;q=0.1", "Для разработчиков"),
        ("", "xx", "For developers"),
    ],
)
async def test_the_front_page_speaks_the_readers_language(
    client: Any, query: str, accept: str, heading: str
) -> None:
    page = await (await client.get("/" + query, headers={"Accept-Language": accept})).text()

    assert heading in page


async def test_in_the_offline_demo_the_front_page_links_the_chat(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    app = build_web_app(Runtime(settings, tx.engine, tx), "http://127.0.0.1:8081/")
    page = await (await (await aiohttp_client(app)).get("/")).text()

    assert 'href="http://127.0.0.1:8081/"' in page and "Offline demo" in page


@pytest.mark.parametrize(
    ("path", "kind"), [("/favicon.svg", "image/svg+xml"), ("/static/home.css", "text/css")]
)
async def test_the_front_page_serves_its_icon_and_stylesheet(
    client: Any, path: str, kind: str
) -> None:
    response = await client.get(path)

    assert response.status == 200 and response.content_type == kind
    assert len(await response.read()) > 100
    page = await (await client.get("/")).text()
    assert f'href="{path}"' in page
