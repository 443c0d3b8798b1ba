"""Field types shared by every API schema: exact money, percentages, clean text.

Money arrives as a string or a number in major units and becomes integer minor units (B12);
what the published schema refuses (more than two decimals, negatives, exponents, other digits,
absurd sizes) is refused at the edge, before any billing code runs. Text is refused when
PostgreSQL could not store it (NUL, lone surrogates).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

MAX_MAJOR = 10**10  # 10 billion major units: anything above is a bug, not a sale
CENT = Decimal("0.01")
# The published patterns are the parsers (one place): ASCII digits only, no exponent, sign,
# underscore or padding, and their bounds written out, so that a JSON Schema validator and this
# code accept exactly the same strings ("1e1", "١٢", "1_0" and "-0" are all refused).
MONEY_PATTERN = r"^([0-9]{1,10}(\.[0-9]{1,2})?|10000000000(\.0{1,2})?)$"
PERCENT_PATTERN = r"^([0-9]{1,2}(\.[0-9]{1,2})?|100(\.0{1,2})?)$"


def _exact_decimal(pattern: str, maximum: int) -> Callable[[Any], Decimal]:
    """A parser for `{number in [0, maximum]} | {string matching pattern}`, at most two
    decimals, exactly as the OpenAPI document declares it."""
    compiled = re.compile(pattern)

    def parse(value: Any) -> Decimal:
        if isinstance(value, str):
            if compiled.fullmatch(value) is None:
                raise ValueError("must be a decimal such as 12.50 (digits, at most two decimals)")
            return Decimal(value)
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError("must be a number or a decimal string")  # Decimal: built here
        parsed = Decimal(str(value))
        if not parsed.is_finite() or not 0 <= parsed <= maximum:
            raise ValueError(f"must be between 0 and {maximum}")
        if parsed != parsed.quantize(CENT):
            raise ValueError("has more than two decimals")
        return parsed.copy_abs()  # a JSON -0.0 is zero, not a negative amount

    return parse


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
    BeforeValidator(_exact_decimal(MONEY_PATTERN, MAX_MAJOR)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_MAJOR},
                {"type": "string", "pattern": MONEY_PATTERN},
            ],
            "description": "Major units, at most two decimals, as a number or a string.",
        }
    ),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal(PERCENT_PATTERN, 100)),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": PERCENT_PATTERN},
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


def _hundredths(value: Any) -> Any:
    """Integer minor units (or basis points) read from a read model become major units."""
    return from_minor(value) if isinstance(value, int) else value  # (from_bp is the same)


# An amount or a rate read from a read model's integer field (`net_minor`, `tax_rate_bp`),
# published as OutMoney: the field names where it is read from with `validation_alias`.
OutOfMinor = Annotated[OutMoney, BeforeValidator(_hundredths)]


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
