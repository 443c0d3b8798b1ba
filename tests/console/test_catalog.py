"""Every text of the console's templates has its Russian translation (the console's own
catalog, console.po), so a Russian-speaking agent never meets a stray English label."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from support_desk.core.texts import TEMPLATES_DIR, load_translations

OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}


def console_msgids() -> set[str]:
    found = extract_from_dir(
        TEMPLATES_DIR / "console", method_map=[("**.html", "jinja2")], options_map=OPTIONS
    )
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in found:
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def test_the_console_templates_have_texts_to_translate() -> None:
    assert {"Queue", "Sign in", "Log out"} <= console_msgids()


def test_every_console_text_has_a_russian_translation() -> None:
    russian = load_translations("ru")
    missing = sorted(m for m in console_msgids() if russian.gettext(m) == m)
    assert missing == []
