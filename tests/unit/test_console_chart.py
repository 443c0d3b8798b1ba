"""The register's chart: SVG drawn on the server, bars from zero, every value in a <title>,
text escaped, no script and no inline style."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.console.admin.chart import Bar, Frame, bar_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def euros(minor: int) -> str:
    return f"EUR {minor // 100}.{minor % 100:02d}"


def chart(bars: list[Bar]) -> str:
    return str(
        bar_chart(bars, title="Issued, EUR", description="Per week", axis_label=euros, ident="c1")
    )


def test_every_bar_has_its_value_in_a_title_and_heights_follow_the_values() -> None:
    bars = [
        Bar("05 Jan", 14000, "Week of 05 Jan: EUR 140.00"),
        Bar("12 Jan", 7000, "w2"),
        Bar("19 Jan", 0, "w3"),
    ]

    root = ET.fromstring(chart(bars))

    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Issued, EUR"
    groups = root.findall(f"{SVG}g")
    assert [g.find(f"{SVG}title").text for g in groups] == [b.title for b in bars]
    heights = [float(g.find(f"{SVG}rect").get("height")) for g in groups]
    assert heights[0] == pytest.approx(2 * heights[1]) and heights[2] == 0
    plot = Frame().plot_height
    assert heights[0] == pytest.approx(plot * 14000 / nice_ceiling(14000))
    axis = [t.text for t in root.findall(f"{SVG}text")][:5]
    assert axis[0] == "EUR 0.00" and axis[-1] == euros(nice_ceiling(14000))


def test_text_is_escaped_and_there_is_no_script_or_inline_style() -> None:
    svg = chart([Bar("<script>alert(1)</script>", 5, '"><img onerror=x>')])

    root = ET.fromstring(svg)  # well-formed: nothing broke out of its element

    assert not [a for el in root.iter() for a in el.attrib if a.startswith("on")]
    assert "<script" not in svg and "<img" not in svg
    assert "style=" not in svg and "<style" not in svg


def test_an_empty_chart_still_draws_its_axis_and_negative_values_are_refused() -> None:
    root = ET.fromstring(chart([]))

    assert root.findall(f"{SVG}g") == [] and len(root.findall(f"{SVG}line")) == 5
    with pytest.raises(ValueError, match="zero"):
        chart([Bar("x", -1, "x")])


def test_long_series_label_about_twelve_bars() -> None:
    bars = [Bar(f"w{i}", i, f"t{i}") for i in range(52)]

    root = ET.fromstring(chart(bars))

    labels = [t.text for g in root.findall(f"{SVG}g") for t in g.findall(f"{SVG}text")]
    assert 10 <= len(labels) <= 14 and labels[0] == "w0"


@given(st.integers(0, 10**15))
def test_the_axis_top_is_round_and_covers_the_tallest_bar(value: int) -> None:
    top = nice_ceiling(value)

    assert top >= max(value, 1)
    assert re.fullmatch(r"(1|2|25|5)0*", str(top))
    assert top < 2.5 * max(value, 1) or value <= 1
