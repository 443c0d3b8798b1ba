"""Field types shared by every API schema: exact money, percentages, clean text.

Money arrives as a string or a number in major units and becomes integer minor units (B12);
more than two decimals, negatives, NaN and absurd sizes are refused at the edge, before any
billing code runs. Text is refused when PostgreSQL could not store it (NUL, lone surrogates).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

MAX_MAJOR = Decimal(10) ** 10  # 10 billion major units: anything above is a bug, not a sale
CENT = Decimal("0.01")
MONEY_PATTERN = r"^\s*\d{1,11}(\.\d{1,2})?\s*$"


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("must be a number or a decimal string")
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not parsed.is_finite():
        raise ValueError("must be a finite number")
    return parsed


def _money(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    if value > MAX_MAJOR:
        raise ValueError("is absurdly large")
    if value != value.quantize(CENT):
        raise ValueError("has more than two decimals")
    return value


def _percent(value: Decimal) -> Decimal:
    if not 0 <= value <= 100:
        raise ValueError("must be between 0 and 100")
    if value != value.quantize(CENT):
        raise ValueError("has more than two decimals")
    return value


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return value


def _number(value: Decimal) -> int | float:
    """Decimal -> JSON number; two-decimal values round-trip exactly through float's repr."""
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    AfterValidator(_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 10**10},
                {"type": "string", "pattern": MONEY_PATTERN},
            ],
            "description": "Major units, at most two decimals, as a number or a string.",
        }
    ),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    AfterValidator(_percent),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": r"^\s*\d{1,3}(\.\d{1,2})?\s*$"},
            ],
            "description": "A percentage such as 8.25, at most two decimals.",
        }
    ),
]
OutNumber = Annotated[
    Decimal, PlainSerializer(_number, return_type=float), WithJsonSchema({"type": "number"})
]
OutMoney = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
]


Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Clean = AfterValidator(_clean)
Name = Annotated[str, Field(min_length=1, max_length=200), Clean]
OptName = Annotated[str, Field(max_length=200), Clean]
Email = Annotated[str, Field(max_length=254), Clean]
Phone = Annotated[str, Field(max_length=32), Clean]
ExternalId = Annotated[str, Field(min_length=1, max_length=64), Clean]
Sku = Annotated[str, Field(max_length=64), Clean]
Label = Annotated[str, Field(max_length=64), Clean]
LongText = Annotated[str, Field(max_length=2000), Clean]
Reason = Annotated[str, Field(min_length=1, max_length=1000), Clean]
Method = Annotated[str, Field(min_length=1, max_length=32), Clean]
Reference = Annotated[str, Field(max_length=128), Clean]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def to_minor(value: Decimal) -> int:
    return int(value * 100)


def to_bp(value: Decimal) -> int:
    return int(value * 100)


def from_minor(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(CENT)


def from_bp(bp: int) -> Decimal:
    return (Decimal(bp) / 100).quantize(CENT)
