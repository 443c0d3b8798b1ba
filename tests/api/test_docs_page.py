"""/api/docs reads as API docs: every operation, grouped by resource, parameters and fields in
tables, examples folded in <details>, every schema linked; no script, no external resource."""

from __future__ import annotations

import re
from typing import Any


async def test_every_operation_is_there_grouped_by_resource(client: Any) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    page = await (await client.get("/api/docs")).text()

    groups = re.findall(r'<section class="group" id="tag-[^"]+">\s*<h2>([^<]+)</h2>', page)
    assert groups == [tag["name"] for tag in document["tags"]]
    for operations in document["paths"].values():
        for operation in operations.values():
            assert f'<article class="op" id="{operation["operationId"]}">' in page
            assert operation["tags"][0] in groups


async def test_fields_are_tables_and_examples_are_folded(client: Any) -> None:
    page = await (await client.get("/api/docs")).text()

    assert page.count('<table class="fields">') > 40
    assert '<details class="example"><summary>Example request</summary><pre>{' in page
    assert "<details open" not in page  # nothing unfolds by itself
    for link in set(re.findall(r'href="#(schema-[^"]+)"', page)):
        assert f'id="{link}"' in page  # every type links to its schema


async def test_the_page_is_self_contained(client: Any) -> None:
    page = await (await client.get("/api/docs")).text()

    assert "<script" not in page and "<style" not in page and " style=" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from elsewhere
