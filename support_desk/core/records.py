"""Read models and audit snapshots copied from rows: a view's fields are named after the
columns it shows, and a snapshot is a list of column names, so the copy is spelled once here
instead of once a field in every `*_view` or `snapshot` function."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

V = TypeVar("V")

_FIELDS: dict[type, tuple[str, ...]] = {}  # a view's field names, read once (hot paths copy)


def from_row(view: type[V], row: object, **given: Any) -> V:
    """The `view` dataclass with each field read from the attribute of the same name on `row`;
    `given` are the fields the row does not hold as they are shown (document numbers, lines)."""
    names = _FIELDS.get(view)
    if names is None:
        names = _FIELDS[view] = tuple(f.name for f in dataclasses.fields(view))  # type: ignore[arg-type]
    values = {name: getattr(row, name) for name in names if name not in given}
    return view(**values, **given)


def attributes(row: object, names: Iterable[str]) -> dict[str, Any]:
    """The `names` attributes of `row` by name: what an audit row records of it."""
    return {name: getattr(row, name) for name in names}
