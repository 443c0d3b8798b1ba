"""Keyset paging: read one row more than the page shows, and the extra row says a next page
exists; the next page starts after the page's last row (its id, or its sort key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

R = TypeVar("R")


def one_page(rows: Sequence[R], size: int) -> tuple[list[R], R | None]:
    """`rows` as read with LIMIT size + 1: the page's rows, and its last row when more rows
    follow (None on the last page), for the caller to take its cursor from."""
    page = list(rows[:size])
    return page, page[-1] if len(rows) > size and page else None
