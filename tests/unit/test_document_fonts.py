"""The fonts the project ships cover every character a credit note prints in both languages."""

from __future__ import annotations

from fontTools.ttLib import TTFont

from billing import documents

PRINTED = (
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    "ÄÖÜäöüßÉéèçñøåłŁ€₽£$¥№–—«»“”„…·•−%"
)


def test_the_pdf_uses_the_shipped_fonts_and_they_print_every_letter() -> None:
    assert documents.unicode_font() == documents.SHIPPED_FONTS
    for path in documents.SHIPPED_FONTS:
        cmap = TTFont(path).getBestCmap()
        missing = [ch for ch in PRINTED if ord(ch) not in cmap]
        assert missing == [], f"{path.name} lacks {missing}"
