"""Read models and audit snapshots copied from rows: a view's fields are named after the
columns it shows, and a snapshot is a list of column names, so the copy is spelled once here
instead of once a field in every `*_view` or `snapshot` function."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, TypeVar

V = TypeVar("V")
Plan = tuple[tuple[str, ...], Callable[[object], tuple[Any, ...]]]

# What to read for a view given which fields the caller gives: built once, so that a copy
# costs what the hand-written keyword arguments cost (read models are on every hot path).
_PLANS: dict[tuple[object, ...], Plan] = {}


def _plan(view: type, given: tuple[str, ...]) -> Plan:
    names = tuple(f.name for f in dataclasses.fields(view) if f.name not in given)
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        one = attrgetter(names[0])
        return names, lambda row: (one(row),)
    return names, attrgetter(*names) if names else lambda row: ()


def from_row(view: type[V], row: object, **given: Any) -> V:
    """The `view` dataclass with each field read from the attribute of the same name on `row`;
    `given` are the fields the row does not hold as they are shown (document numbers, lines)."""
    key = (view, *given)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(view, tuple(given))
    names, read = plan
    return view(**dict(zip(names, read(row), strict=True)), **given)


def attributes(row: object, names: Iterable[str]) -> dict[str, Any]:
    """The `names` attributes of `row` by name: what an audit row records of it."""
    return {name: getattr(row, name) for name in names}
