"""Long texts split below Telegram's limit (TG12): 4096 UTF-16 code units per message.

Telegram counts UTF-16 code units, not Python characters, so an emoji costs two. We cut at the
last line break that fits, else at the last space, else anywhere that does not halve a surrogate
pair. Cutting inside an HTML tag or entity would break parse_mode=HTML, so cuts avoid `<...>` and
`&...;`; tags left open at a cut are closed and reopened in the next chunk.
"""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    """A parse_mode=HTML text's length as Telegram checks it: tags gone, entities decoded."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain-text chunks, each at most `limit` UTF-16 units; joined they give `text` back."""
    chunks: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _cut_point(rest, limit)
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _fit(text: str, limit: int) -> int:
    """The largest prefix length (in characters) whose UTF-16 length is within `limit`."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut_point(text: str, limit: int) -> int:
    end = _fit(text, limit)
    window = text[:end]
    for separator in ("\n", " "):
        at = window.rfind(separator)
        if at > 0:
            return _safe(text, at + 1)
    return _safe(text, end)


def _safe(text: str, cut: int) -> int:
    """Move a cut back out of an HTML tag or entity, if that leaves something to send."""
    head = text[:cut]
    opener = max(head.rfind("<"), head.rfind("&"))
    if opener > 0:
        closer = ">" if head[opener] == "<" else ";"
        if closer not in head[opener:]:
            return opener
    return cut


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Chunks of Telegram HTML, each balanced: open tags are closed at a cut and reopened."""
    margin = 200  # room for the closing and reopening tags added at each cut
    chunks = split_text(text, limit - margin) if utf16_len(text) > limit else [text]
    balanced: list[str] = []
    carried: list[str] = []
    for chunk in chunks:
        opened = _open_tags(chunk, carried)
        prefix = "".join(carried)
        suffix = "".join(f"</{_name(tag)}>" for tag in reversed(opened))
        balanced.append(prefix + chunk + suffix)
        carried = opened
    return balanced


def _name(tag: str) -> str:
    match = _TAG.match(tag)
    return match.group(2).lower() if match else ""


def _open_tags(chunk: str, carried: list[str]) -> list[str]:
    stack = list(carried)
    for match in _TAG.finditer(chunk):
        if match.group(1):
            if stack and _name(stack[-1]) == match.group(2).lower():
                stack.pop()
        else:
            stack.append(match.group(0))
    return stack
