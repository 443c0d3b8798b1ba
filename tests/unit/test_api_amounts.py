"""Amounts are parsed exactly as the published OpenAPI document declares them: a JSON Schema
validator reading /api/openapi.json and the API's own parser accept the same strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from web.api.openapi import build_openapi
from web.api.types import Money, Percent

DOCUMENT = build_openapi()["components"]["schemas"]
MONEY_SCHEMA = DOCUMENT["LineItem"]["properties"]["unitPrice"]
PERCENT_SCHEMA = DOCUMENT["TaxDetails"]["properties"]["rate"]
FIELDS = {
    "money": (TypeAdapter(Money), jsonschema_rs.validator_for(MONEY_SCHEMA)),
    "percent": (TypeAdapter(Percent), jsonschema_rs.validator_for(PERCENT_SCHEMA)),
}
TRICKY = [
    "1e1", "١٢", "1_0", "-0", "+1", " 1", "1 ", "1\n", "1.", ".5", "0x10", "NaN", "Infinity",
    "１２", "12.345", "12.5", "12.50", "0", "00012", "10000000000", "10000000000.01",
    "10000000001", "100", "100.00", "100.01", "99.99", "1e-1", "", "1,5", "٣.٥",
]  # fmt: skip


def _parses(field: str, value: Any) -> bool:
    try:
        FIELDS[field][0].validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("value", TRICKY)
def test_a_string_amount_is_accepted_exactly_when_the_published_schema_accepts_it(
    field: str, value: str
) -> None:
    assert _parses(field, value) == FIELDS[field][1].is_valid(value)


@pytest.mark.parametrize("value", ["1e1", "١٢", "1_0", "-0"])
def test_the_strings_the_issue_found_are_refused(value: str) -> None:
    assert not _parses("money", value)
    assert not _parses("percent", value)


@given(st.text(alphabet=st.sampled_from("0123456789.-+e_ ١٢٣١２\n"), max_size=14))
def test_any_string_parses_iff_the_schema_accepts_it(value: str) -> None:
    for field in FIELDS:
        assert _parses(field, value) == FIELDS[field][1].is_valid(value), field


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)))
def test_a_number_the_schema_refuses_is_refused(value: float) -> None:
    for field in FIELDS:
        if not FIELDS[field][1].is_valid(value):
            assert not _parses(field, value), field


def test_accepted_values_are_exact_decimals() -> None:
    money = FIELDS["money"][0]
    assert money.validate_python("12.50") == Decimal("12.50")
    assert money.validate_python(12.5) == Decimal("12.5")
    assert money.validate_python(-0.0) == 0 and not money.validate_python(-0.0).is_signed()
