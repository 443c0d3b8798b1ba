"""Every text of the console's templates has its Russian translation (the console's own
catalog, console.po), so a Russian-speaking agent never meets a stray English label."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from support_desk.core.texts import TEMPLATES_DIR, load_translations

OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}


def console_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every text in templates/console/."""
    found = extract_from_dir(
        TEMPLATES_DIR / "console", method_map=[("**.html", "jinja2")], options_map=OPTIONS
    )
    ids: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in found:
        texts = [message] if isinstance(message, str) else [m for m in message if m]
        ids.update((context, m) for m in texts)
    return ids


def console_msgids() -> set[str]:
    return {m for _, m in console_messages()}


def test_the_console_templates_have_texts_to_translate() -> None:
    assert {"Queue", "Sign in", "Log out"} <= console_msgids()


def test_every_console_text_has_a_russian_translation() -> None:
    russian = load_translations("ru")
    missing = sorted(
        (c or "", m)
        for c, m in console_messages()
        if (russian.pgettext(c, m) if c else russian.gettext(m)) == m
    )
    assert missing == []
