"""Awkward input before any handler sees it (BOT_UX §4): a flood, a blank text, a text too
long to be one message. Each gets a polite answer; none reaches a use case.

- Flood: more than `limit` messages from one user within `window` seconds. The first message
  over the limit is answered once ("writing faster than I can read"), the rest of the window is
  quiet; those messages are not acted on, and the answer says to send them again.
- Blank: spaces or invisible characters only.
- Too long: over `TEXT_LIMIT` characters (Telegram itself splits at 4,096).

Time comes from the transactor's clock, so tests control the window.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

from bot import money_keyboards
from bot.handlers.replies import Speech
from support_desk.core.tx import Transactor

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
TEXT_LIMIT = 4000
# spaces, and the characters that print nothing (zero-width, joiners, BOM, Hangul fillers)
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\ufeff\u3164\u115f\u1160\u00ad]+")


def is_blank(text: str) -> bool:
    return not _INVISIBLE.sub("", text)


@dataclass
class Throttle:
    """At most `limit` messages per user in any `window`; the first excess is told once."""

    limit: int = 5
    window: timedelta = timedelta(seconds=10)
    seen: dict[int, deque[datetime]] = field(default_factory=dict)
    told: dict[int, datetime] = field(default_factory=dict)

    def admit(self, user_id: int, now: datetime) -> bool | None:
        """True: go on; False: over the limit, tell them; None: over the limit, told already."""
        times = self.seen.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self.told.pop(user_id, None)
            return True
        if user_id in self.told and now - self.told[user_id] < self.window:
            return None
        self.told[user_id] = now
        return False


class InputGuard(BaseMiddleware):
    """Outer middleware of the customer's messages; after CustomerMiddleware (for `speech`)."""

    def __init__(self, throttle: Throttle | None = None) -> None:
        self.throttle = throttle or Throttle()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Message) or event.from_user is None:
            return await handler(event, data)
        tx: Transactor = data["tx"]
        admitted = self.throttle.admit(event.from_user.id, tx.clock.now())
        if admitted is None:
            return None
        speech: Speech = data["speech"]
        template = None if admitted else "money/flood.html"
        text = event.text
        if template is None and text is not None and not text.startswith("/"):
            if is_blank(text):
                template = "money/blank.html"
            elif len(text) > TEXT_LIMIT:
                template = "flows/reply_too_long.html"
        if template is None:
            return await handler(event, data)
        keyboard = money_keyboards.menu_only(speech.texts, speech.locale)
        seconds = int(self.throttle.window.total_seconds())
        text = speech.render(template, limit=TEXT_LIMIT, length=len(text or ""), seconds=seconds)
        await event.answer(text, reply_markup=keyboard)
        return None
