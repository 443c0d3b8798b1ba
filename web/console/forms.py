"""Reading console forms: ids, versions, amounts and line choices, refused politely (and
with nothing changed) when malformed or forged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web
from babel.numbers import get_currency_precision

from support_desk.core.errors import DomainError

_ID = re.compile(r"^[0-9]{1,9}$")


class BadForm(DomainError, code="bad_form"):
    message = "The form was incomplete or malformed."


def path_id(request: web.Request, name: str = "id") -> int:
    value = request.match_info.get(name, "")
    if not _ID.match(value):
        raise web.HTTPNotFound()
    return int(value)


def number(form: Mapping[str, Any], name: str, *, required: bool = False) -> int | None:
    value = str(form.get(name, "")).strip()
    if not value and not required:
        return None
    if not _ID.match(value):
        raise BadForm(field=name)
    return int(value)


def ids(form: Any, name: str) -> tuple[int, ...]:
    values = form.getall(name, []) if hasattr(form, "getall") else []
    if not all(_ID.match(str(v)) for v in values) or len(values) > 200:
        raise BadForm(field=name)
    return tuple(sorted({int(v) for v in values}))


def amount(form: Mapping[str, Any], name: str, currency: str | None) -> int | None:
    """A major-unit amount typed by the agent ("12.50", "12,50") in minor units."""
    text = str(form.get(name, "")).strip().replace(",", ".").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text).scaleb(get_currency_precision(currency or "EUR"))
    except InvalidOperation:
        raise BadForm(field=name) from None
    if value != value.to_integral_value() or not 0 < value < 10**12:
        raise BadForm(field=name)
    return int(value)


def text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, ""))[:8000]


def choice(form: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = str(form.get(name, ""))
    if value not in allowed:
        raise BadForm(field=name)
    return value
