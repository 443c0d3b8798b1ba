"""Each face keeps its own .po file; a language's files merge into one catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from support_desk.core import texts


def _po(msgid: str, msgstr: str) -> str:
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    return f'{header}msgid "{msgid}"\nmsgstr "{msgstr}"\n'


def test_every_po_file_of_a_language_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(_po("Invoice", "Счёт"), encoding="utf-8")
    (folder / "console.po").write_text(_po("Queue", "Очередь"), encoding="utf-8")
    monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path)

    catalog = texts.load_translations("ru")

    assert catalog.gettext("Invoice") == "Счёт"
    assert catalog.gettext("Queue") == "Очередь"
    assert texts.load_translations("de").gettext("Queue") == "Queue"
