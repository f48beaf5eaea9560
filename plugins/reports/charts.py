"""Server-rendered SVG charts of daily series: geometry computed here, the
markup in ``templates/reports/_chart.html`` (no script, styled by classes,
so the page needs nothing but its stylesheet)."""

from __future__ import annotations

import dataclasses
import math

from babel.dates import format_skeleton
from flask_babel import get_locale

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclasses.dataclass
class Series:
    label: str
    values: list  # numbers or None (no value that day)
    css: str  # class suffix: the colour in reports.css


def nice_ticks(high, count=4):
    """Round axis steps from 0 to at least ``high``."""
    if high <= 0:
        return [0, 1]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    top = step * math.ceil(high / step)
    ticks, value = [], 0.0
    while value <= top + step / 2:
        ticks.append(round(value, 6))
        value += step
    return ticks


def line_chart(chart_id, title, unit, days, series, scale=1.0):
    """Everything the template draws for one chart. ``scale`` divides the
    values (seconds shown in hours: 3600); ``unit`` names the result."""
    scaled = [Series(s.label, [None if v is None else v / scale for v in s.values], s.css) for s in series]
    present = [v for s in scaled for v in s.values if v is not None]
    empty = not present or not any(present)
    ticks = nice_ticks(max(present) if present else 0)
    top = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(days), 1)

    def x(i):
        return LEFT + (plot_w * (i + 0.5) / n)

    def y(v):
        return TOP + plot_h - plot_h * v / top

    lines = []
    for s in scaled:
        segments, current = [], []
        for i, v in enumerate(s.values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append((round(x(i), 1), round(y(v), 1)))
        if current:
            segments.append(current)
        lines.append(
            {
                "label": s.label,
                "css": s.css,
                "paths": [" ".join(f"{px},{py}" for px, py in seg) for seg in segments],
                "dots": [p for seg in segments for p in seg] if n <= 31 else [],
            }
        )
    every = max(1, math.ceil(n / 8))
    x_labels = [
        {"x": round(x(i), 1), "text": format_skeleton("MMMd", d, locale=get_locale() or "en")}
        for i, d in enumerate(days)
        if i % every == 0
    ]
    y_labels = [{"y": round(y(t), 1), "text": _fmt(t)} for t in ticks]
    return {
        "id": chart_id,
        "title": title,
        "unit": unit,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "lines": lines,
        "x_labels": x_labels,
        "y_labels": y_labels,
        "empty": empty,
        "summary": _summary(scaled, unit),
    }


def _fmt(value):
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _summary(series, unit):
    """A sentence for screen readers: each series' total or range."""
    parts = []
    for s in series:
        values = [v for v in s.values if v is not None]
        if not values:
            parts.append(f"{s.label}: -")
        else:
            parts.append(f"{s.label}: {_fmt(min(values))}-{_fmt(max(values))} {unit}")
    return "; ".join(parts)
