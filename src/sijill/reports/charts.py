"""Charts as SVG drawn on the server: horizontal bars, paired bars, a waterfall, a histogram.

Each function returns markup to place in a page as it is: no script, no external file, and
no inline `style` (colours come from presentation attributes and CSS classes), so the same
chart works under the desk's strict content security policy and in a self-contained report.
Charts are laid out left to right in either language (`direction="ltr"`): numbers read that
way in Arabic too, and the labels keep their own script's direction.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH = 640
ROW = 24
BAR = 15
LABEL_SHARE = 0.36
LABEL_CHARS = 30
VALUE_ROOM = 86
COLOURS = {"a": "#2f6db5", "b": "#d9822b", "pos": "#2e8b57", "neg": "#c0392b", "prior": "#7f8c8d"}
_ids = count(1)


def _number(value: float) -> str:
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label and value, and an optional second value."""

    label: str
    value: float
    other: float | None = None


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _open(title: str, height: float, css: str) -> tuple[str, list[str]]:
    ident = f"chart{next(_ids)}"
    head = (
        f'<svg class="chart {css}" role="img" aria-labelledby="{ident}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" direction="ltr" font-family="sans-serif" font-size="12">'
        f'<title id="{ident}">{escape(title)}</title>'
    )
    return head, []


def _label(y: float, text: str, x: float) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle">'
        f"<title>{escape(text)}</title>{escape(_short(text))}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, colour: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{h:.1f}" fill="{colour}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _value(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" dominant-baseline="middle">{escape(text)}</text>'


def _legend(y: float, names: Sequence[str]) -> str:
    parts, x = [], WIDTH * LABEL_SHARE
    for key, name in zip(("a", "b"), names, strict=False):
        parts.append(f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{COLOURS[key]}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}" dominant-baseline="middle">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return "".join(parts)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    series: Sequence[str] = (),
    value_text: Callable[[float], str] = _number,
) -> Markup:
    """Return horizontal bars, one row a label; two bars a row when `other` values are given.

    Example:
        >>> "<svg" in bar_chart([Bar("Rabat", 120.0)], title="Persons")
        True
    """
    paired = any(b.other is not None for b in bars)
    row = ROW * (1.7 if paired else 1)
    legend = 22 if series else 0
    height = legend + row * max(len(bars), 1) + 8
    head, parts = _open(title, height, "bars")
    left = WIDTH * LABEL_SHARE
    span = WIDTH - left - VALUE_ROOM
    top = max([max(b.value, b.other or 0) for b in bars] or [0]) or 1
    if series:
        parts.append(_legend(11, series))
    for i, b in enumerate(bars):
        y = legend + i * row + 4
        parts.append(_label(y + row / 2 - 2, b.label, left - 6))
        values = [("a", b.value)] + ([("b", b.other)] if paired and b.other is not None else [])
        h = (row - 8) / len(values) if paired else BAR
        for j, (key, v) in enumerate(values):
            w = span * v / top
            yy = y + j * h
            tip = f"{b.label}: {value_text(v)}"
            parts.append(_rect(left, yy, w, h - 1, COLOURS[key], tip))
            parts.append(_value(left + w + 4, yy + h / 2, value_text(v)))
    if not bars:
        parts.append(_value(left, legend + ROW / 2, "—"))
    return Markup(head + "".join(parts) + "</svg>")


def waterfall_chart(
    steps: Sequence[tuple[str, float, float]],
    *,
    title: str,
    value_text: Callable[[float], str],
    total_label: str = "=",
) -> Markup:
    """Return a waterfall: each step a bar from the running total before it to the one after.

    `steps` are (label, weight, running total), the first one the prior; the last row shows
    the final total.
    """
    totals = [0.0, *(t for _, _, t in steps)]
    low, high = min(totals), max(totals)
    rows = [*steps, (total_label, 0.0, totals[-1])]
    height = ROW * len(rows) + 24
    head, parts = _open(title, height, "waterfall")
    left = WIDTH * LABEL_SHARE
    span = WIDTH - left - VALUE_ROOM
    scale = span / ((high - low) or 1)

    def x(v: float) -> float:
        return left + (v - low) * scale

    parts.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="0" y2="{height - 20:.0f}" stroke="#555" '
        'stroke-dasharray="3 3"/>'
    )
    before = 0.0
    for i, (label, weight, total) in enumerate(rows):
        y = i * ROW + 4
        final = i == len(rows) - 1
        start, end = (0.0, total) if final or i == 0 else (before, total)
        colour = COLOURS["prior"] if i == 0 or final else COLOURS["pos" if weight >= 0 else "neg"]
        text = value_text(total) if final else value_text(weight)
        parts.append(_label(y + BAR / 2, label, left - 6))
        parts.append(_rect(x(min(start, end)), y, abs(end - start) * scale, BAR, colour, f"{label}: {text}"))
        parts.append(_value(x(max(start, end)) + 4, y + BAR / 2, text))
        before = total
    parts.append(_value(x(low), height - 8, value_text(low)))
    parts.append(
        f'<text x="{x(high):.1f}" y="{height - 8:.0f}" text-anchor="end">{escape(value_text(high))}</text>'
    )
    return Markup(head + "".join(parts) + "</svg>")


def histogram(
    bins: Sequence[tuple[str, int]], *, title: str, value_text: Callable[[float], str] = _number
) -> Markup:
    """Return vertical bars, one a bin, labelled under the axis."""
    height, base, room = 200, 170, 30
    head, parts = _open(title, height, "histogram")
    top = max([n for _, n in bins] or [0]) or 1
    step = (WIDTH - 2 * room) / max(len(bins), 1)
    for i, (label, n) in enumerate(bins):
        h = (base - 20) * n / top
        x = room + i * step
        parts.append(_rect(x + 2, base - h, step - 4, h, COLOURS["a"], f"{label}: {value_text(n)}"))
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle">{escape(label)}</text>'
        )
        if n:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">'
                f"{escape(value_text(n))}</text>"
            )
    parts.append(f'<line x1="{room}" x2="{WIDTH - room}" y1="{base}" y2="{base}" stroke="#555"/>')
    return Markup(head + "".join(parts) + "</svg>")
