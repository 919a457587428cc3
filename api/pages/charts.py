"""Chart geometry for server-rendered SVG: numbers in, coordinates out; the templates draw them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

EM = re.compile(r"(</?em>)")


def highlighted(fragment: str) -> Markup:
    """Search's highlight HTML with only its <em> marks kept: every other character is text, escaped here, so a
    hostile title or snippet can never become markup, whether or not the engine escaped it before."""
    parts = EM.split(fragment or "")
    return Markup("").join(Markup(p) if EM.fullmatch(p) else escape(html.unescape(p)) for p in parts)


@dataclass(frozen=True, kw_only=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, kw_only=True)
class Chart:
    """Bars (or points of a line) scaled into a width × height box with a nice top value for the axis."""

    width: int
    height: int
    top: int
    bars: tuple[Bar, ...]

    @property
    def points(self) -> str:
        return " ".join(f"{b.x + b.width / 2:.1f},{b.y:.1f}" for b in self.bars)


def nice_top(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n at or above value (at least 1), so axis labels are round."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def bar_chart(pairs: list[tuple[str, int]], *, width: int = 800, height: int = 240, gap: float = 0.25) -> Chart:
    top = nice_top(max((v for _, v in pairs), default=0))
    slot = width / max(len(pairs), 1)
    bars = []
    for i, (label, value) in enumerate(pairs):
        h = height * value / top
        x = i * slot + slot * gap / 2
        bars.append(Bar(label=label, value=value, x=x, y=height - h, width=slot * (1 - gap), height=h))
    return Chart(width=width, height=height, top=top, bars=tuple(bars))
