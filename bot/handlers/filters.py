"""Message filters as `async def` checks.

aiogram runs any filter that is not a coroutine function, a magic filter (`F.text`,
`~F.text.startswith("/")`) included, through `asyncio.to_thread`: a thread round trip for every
message it is tried on (about 180 µs against 1 µs on the loop); so does a bare `State` used as a
filter (`StateFilter(state)` does not). The routers that see most texts use these instead
(docs/performance.md).
"""

from __future__ import annotations

from aiogram.types import Message


async def plain_text(message: Message) -> bool:
    """A text that is not a command: what `F.text, ~F.text.startswith("/")` said."""
    text = message.text
    return bool(text) and not (text or "").startswith("/")


async def command_text(message: Message) -> bool:
    """A text that starts like a command: what `F.text.startswith("/")` said."""
    text = message.text
    return text is not None and text.startswith("/")
