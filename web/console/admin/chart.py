"""Bar charts drawn on the server as SVG: no external service, no script, no inline style
(the CSP forbids it; presentation attributes are not styles). Text and axes use
`currentColor`, so they follow the page's light or dark theme; bars carry a class the console's
stylesheet may recolour and a fill that reads on white and on near-black alike. Every bar has a
`<title>` with its value; the chart a `<title>` and `<desc>` for screen readers. The axis
starts at zero."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

BAR_FILL = "#3b82f6"  # blue-500: 3.7:1 on white, 5.0:1 on #18181b (graphics need 3:1)
GRID = 4  # horizontal lines above zero


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # under the bar, e.g. "05 Jan"
    value: int  # in minor units; never negative
    title: str  # the tooltip and what a screen reader says, e.g. "Week of 05 Jan: EUR 140.00"


@dataclass(frozen=True, slots=True)
class Frame:
    width: int = 720
    height: int = 240
    left: int = 96  # room for the axis' value labels
    bottom: int = 28  # room for the bars' labels
    top: int = 12

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 2.5 or 5 x 10^k that is >= value, so gridlines fall on round values."""
    step = 1
    while True:
        for numerator, denominator in ((1, 1), (2, 1), (5, 2), (5, 1)):
            candidate, exact = divmod(step * numerator, denominator)
            if not exact and candidate >= value:
                return candidate
        step *= 10


def _grid(frame: Frame, top: int, axis_label: Callable[[int], str]) -> list[str]:
    out = []
    for i in range(GRID + 1):
        value = top * i // GRID
        y = frame.top + frame.plot_height - frame.plot_height * i // GRID
        out.append(
            f'<line x1="{frame.left}" x2="{frame.width}" y1="{y}" y2="{y}" '
            f'stroke="currentColor" stroke-opacity="{0.6 if i == 0 else 0.15}"/>'
            f'<text x="{frame.left - 6}" y="{y + 4}" text-anchor="end" font-size="13" '
            f'fill="currentColor">{escape(axis_label(value))}</text>'
        )
    return out


def _bars(frame: Frame, bars: Sequence[Bar], top: int) -> list[str]:
    slot = (frame.width - frame.left) / max(len(bars), 1)
    width = max(2.0, slot * 0.7)
    every = max(1, round(len(bars) / 12))  # at most about twelve labels under the bars
    out = []
    for i, bar in enumerate(bars):
        h = frame.plot_height * bar.value / top
        x = frame.left + i * slot + (slot - width) / 2
        y = frame.top + frame.plot_height - h
        label = ""
        if i % every == 0:
            label = (
                f'<text x="{x + width / 2:.1f}" y="{frame.height - 8}" text-anchor="middle" '
                f'font-size="13" fill="currentColor">{escape(bar.label)}</text>'
            )
        out.append(
            f'<g class="bar"><title>{escape(bar.title)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
            f'fill="{BAR_FILL}"/>{label}</g>'
        )
    return out


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    axis_label: Callable[[int], str],
    ident: str,
    frame: Frame | None = None,
) -> Markup:
    """One series of bars as an inline <svg>; `ident` keeps its ids unique on the page."""
    frame = frame or Frame()
    if any(b.value < 0 for b in bars):
        raise ValueError("bars start at zero; a negative value has no bar")
    top = nice_ceiling(max((b.value for b in bars), default=0))
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" '
        f"aria-labelledby={quoteattr(f'{ident}-title {ident}-desc')}>"
        f"<title id={quoteattr(ident + '-title')}>{escape(title)}</title>"
        f"<desc id={quoteattr(ident + '-desc')}>{escape(description)}</desc>"
    )
    body = _grid(frame, top, axis_label) + _bars(frame, bars, top)
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text above is escaped
