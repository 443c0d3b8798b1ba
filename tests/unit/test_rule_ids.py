"""Every rule id the project cites (B4, T3, TG13, …) is defined in docs/rules.md, so a checkout
explains itself without the design notes that lie beside it on the team's machines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"
# A rule id is one of the seven families and one or two digits, standing alone: not A4, B904
# (a linter code), W3C or the M6h20 of an SVG path.
RULE_ID = re.compile(r"(?<![\w.#/-])(?:TG|[BTMWDO])[0-9]{1,2}(?![\w])")
DEFINITION = re.compile(r"^\| ((?:TG|[BTMWDO])[0-9]{1,2}) \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)
SCANNED = (
    "billing",
    "bot",
    "ticketing",
    "web",
    "support_desk",
    "tests",
    "templates",
    "docs",
    ".ci",
)
# Files whose tokens are not prose: SVG path data, catalogs (their msgids come from templates),
# binary documents. pyproject.toml is not scanned: its ruff rule codes are not these rules.
SKIPPED_SUFFIXES = {".svg", ".po", ".pot", ".mo", ".pdf", ".png", ".ico", ".pyc", ".json"}
EXPECTED = {
    "B": 13,
    "T": 8,
    "M": 14,
    "TG": 14,
    "W": 15,
    "D": 9,
    "O": 7,
}


def defined() -> dict[str, tuple[str, str]]:
    """The ids docs/rules.md defines, each with its text and its source."""
    rows = DEFINITION.findall(RULES.read_text(encoding="utf-8"))
    return {rule_id: (text.strip(), source.strip()) for rule_id, text, source in rows}


def scanned_files() -> Iterator[Path]:
    yield ROOT / "README.md"
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or path == RULES or path.suffix in SKIPPED_SUFFIXES:
                continue
            if "__pycache__" in path.parts:
                continue
            yield path


def citations() -> Iterator[tuple[str, str]]:
    """(where, id) for every id cited in code, tests, templates and docs."""
    for path in scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for rule_id in RULE_ID.findall(line):
                yield f"{path.relative_to(ROOT)}:{number}", rule_id


def test_every_cited_id_is_defined() -> None:
    known = defined()
    missing = [
        f"{where} cites {rule_id}" for where, rule_id in citations() if rule_id not in known
    ]
    assert not missing, "not defined in docs/rules.md:\n" + "\n".join(missing)


def test_the_project_cites_rules() -> None:
    """The scan finds the citations it is meant to find (a broken pattern would pass vacuously)."""
    cited = {rule_id for _, rule_id in citations()}
    assert {"B4", "T3", "TG10", "M3", "D9"} <= cited
    assert len(list(citations())) > 200


def test_every_family_is_defined_in_full_with_a_source() -> None:
    known = defined()
    for family, count in EXPECTED.items():
        for number in range(1, count + 1):
            rule_id = f"{family}{number}"
            assert rule_id in known, rule_id
            text, source = known[rule_id]
            assert len(text) > 20, rule_id
            assert source, rule_id
    assert len(known) == sum(EXPECTED.values())


def test_the_pattern_takes_ids_and_leaves_words() -> None:
    line = "B4 and TG13 (T3), M1–M14; not A4, B904, W3C, M6h20, T201, x.D5 or AB12"
    assert RULE_ID.findall(line) == ["B4", "TG13", "T3", "M1", "M14"]


def test_nothing_points_beside_the_checkout() -> None:
    """The design notes in ../shared are not part of a checkout; the project links its own."""
    pointing = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
        if "../shared" in path.read_text(encoding="utf-8")
    ]
    assert not pointing
