"""How long ago, or how long until: every age and due time the console shows, in one place.

Two units at most, the larger first, as people read a waiting time: "2 d 21 h", "3 h 5 min",
"12 min"; Russian "2 д 21 ч". Rounded down (a ticket waiting 59 minutes is not "1 h" yet)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

Gettext = Callable[[str], str]


def span(delta: timedelta, *, gettext: Gettext, direction: bool = False) -> str:
    """`delta` as "2 d 21 h"; with `direction`, "in 2 d 21 h" ahead, "2 d 21 h ago" past."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        shown = gettext("%(days)d d %(hours)d h") if hours else gettext("%(days)d d")
    elif hours:
        shown = gettext("%(hours)d h %(minutes)d min") if minutes else gettext("%(hours)d h")
    elif minutes:
        shown = gettext("%(minutes)d min")
    else:
        shown = gettext("under a minute")
    shown = shown % {"days": days, "hours": hours, "minutes": minutes}
    if not direction:
        return shown
    ahead = delta.total_seconds() >= 0
    return (gettext("in %(span)s") if ahead else gettext("%(span)s ago")) % {"span": shown}
