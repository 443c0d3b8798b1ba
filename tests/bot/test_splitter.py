"""TG12: chunks fit Telegram's limit in UTF-16 units, join back to the original, cut at lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.objects import check_html
from bot.transport.splitter import MESSAGE_LIMIT, split_html, split_text, utf16_len

lines = st.lists(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300), max_size=60
)
text_with_emoji = st.text(
    st.sampled_from(["a", "é", "😀", "中", " ", "\n", "<", "&"]), max_size=12_000
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(lines.map("\n".join), text_with_emoji), st.sampled_from([MESSAGE_LIMIT, 50]))
def test_tg12_chunks_fit_and_join_back(text: str, limit: int) -> None:
    chunks = split_text(text, limit)

    assert "".join(chunks) == text
    assert all(utf16_len(chunk) <= limit for chunk in chunks)
    assert all(chunk for chunk in chunks) or chunks == [""]


@settings(max_examples=100, deadline=None)
@given(lines.map("\n".join))
def test_tg12_cuts_fall_on_line_boundaries_when_lines_are_short(text: str) -> None:
    chunks = split_text(text, 4096)

    for chunk in chunks[:-1]:
        assert chunk.endswith("\n")


def test_tg12_no_surrogate_pair_is_halved() -> None:
    chunks = split_text("😀" * 3000)

    assert all(utf16_len(chunk) <= MESSAGE_LIMIT for chunk in chunks)
    assert "".join(chunks) == "😀" * 3000


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["word ", "<b>bold</b> ", "&amp; ", "\n", "<i>x</i>"]), max_size=3000)
)
def test_tg12_html_chunks_stay_balanced_and_within_the_limit(pieces: list[str]) -> None:
    html = "<b>" + "".join(pieces) + "</b>"

    chunks = split_html(html)

    for chunk in chunks:
        assert utf16_len(chunk) <= MESSAGE_LIMIT
        check_html(chunk)
