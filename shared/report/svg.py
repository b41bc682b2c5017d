"""Inline SVG charts written by hand: no script, no font or style sheet from the network.

Three shapes cover the report: horizontal grouped bars (one row per category, one bar per
dataset), vertical grouped bars (histograms) and a waterfall. Every chart is an <svg
class="chart"> with explicit width and height, and every bar a <rect class="bar"> with a
<title> tooltip, so a browser draws it as is and a test can find it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7")
TARGET_COLOUR = "#9a9a9a"
FONT = 'font-family="sans-serif" font-size="11"'

Series = tuple[str, Sequence[float | None]]
Formatter = Callable[[float], str]


def format_share(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def pick_colours(count: int, first_is_target: bool = False) -> list[str]:
    palette = list(PALETTE)
    if first_is_target:
        return [TARGET_COLOUR, *[palette[i % len(palette)] for i in range(count - 1)]]
    return [palette[i % len(palette)] for i in range(count)]


def _text(x: float, y: float, body: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT}{extra}>{escape(body)}</text>'
    )


def _clip(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _legend(
    series_names: Sequence[str], fills: Sequence[str], x: float, y: float, width: float
) -> tuple[list[str], float]:
    """Legend items left to right, wrapping at `width`; returns the parts and the height used."""
    parts: list[str] = []
    left, line = x, 0
    for name, fill in zip(series_names, fills, strict=True):
        label = _clip(name, 36)
        item = 24 + 6.5 * len(label)
        if left > x and left + item > width:
            left, line = x, line + 1
        top = y + 16 * line
        parts.append(
            f'<rect class="legend" x="{left:.1f}" y="{top - 9:.1f}" width="10" height="10" '
            f'fill="{fill}"/>'
        )
        parts.append(_text(left + 14, top, label))
        left += item
    return parts, 16.0 * (line + 1) + 4


def _svg(name: str, width: float, height: float, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(name)}" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(name)}">' + "".join(body) + "</svg>"
    )


def draw_horizontal_bars(
    name: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Formatter = format_share,
    first_is_target: bool = False,
    scale_max: float | None = None,
) -> str:
    """One row per category, one bar per series; bar length proportional to the value."""
    label_width, plot_width, value_width = 190.0, 380.0, 64.0
    bar, gap = 11.0, 7.0
    fills = pick_colours(len(series), first_is_target)
    width = label_width + plot_width + value_width
    legend, top = _legend([n for n, _ in series], fills, 10, 14, width)
    if len(series) == 1:
        legend, top = [], 6.0
    row_height = bar * len(series) + gap
    height = top + row_height * len(categories) + 6
    values = [v for _, vs in series for v in vs if v is not None]
    biggest = scale_max if scale_max is not None else max(values, default=0.0)
    biggest = biggest if biggest > 0 else 1.0
    body: list[str] = list(legend)
    for row, category in enumerate(categories):
        y = top + row * row_height
        body.append(_text(label_width - 6, y + row_height / 2, _clip(category, 30), "end"))
        for index, (series_name, vs) in enumerate(series):
            value = vs[row] if row < len(vs) else None
            by = y + index * bar
            if value is None:
                body.append(_text(label_width + 2, by + bar - 2, "n/a", extra=' fill="#888"'))
                continue
            length = max(plot_width * value / biggest, 0.0)
            tip = f"{series_name} · {category}: {fmt(value)}"
            body.append(
                f'<rect class="bar" x="{label_width:.1f}" y="{by:.1f}" width="{length:.1f}" '
                f'height="{bar - 1:.1f}" fill="{fills[index]}"><title>{escape(tip)}</title></rect>'
            )
            body.append(_text(label_width + length + 4, by + bar - 2, fmt(value)))
    return _svg(name, width, height, body)


def draw_vertical_bars(
    name: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Formatter = format_share,
    x_title: str = "",
) -> str:
    """Grouped columns (histograms): categories along x, one column per series."""
    column, gap, left, bottom = 10.0, 10.0, 46.0, 40.0
    plot_height = 150.0
    fills = pick_colours(len(series))
    group = column * len(series) + gap
    width = max(left + group * len(categories) + 20, 320.0)
    legend, top = _legend([n for n, _ in series], fills, 10, 14, width)
    if len(series) == 1:
        legend, top = [], 10.0
    height = top + plot_height + bottom
    values = [v for _, vs in series for v in vs if v is not None]
    biggest = max(values, default=0.0) or 1.0
    base = top + plot_height
    body = [
        f'<line x1="{left:.1f}" y1="{base:.1f}" x2="{width - 10:.1f}" y2="{base:.1f}" '
        'stroke="#666"/>',
        _text(left - 4, top + 8, fmt(biggest), "end"),
        _text(left - 4, base, fmt(0.0), "end"),
    ]
    body += legend
    for col, category in enumerate(categories):
        x = left + gap / 2 + col * group
        for index, (series_name, vs) in enumerate(series):
            value = vs[col] if col < len(vs) else None
            if value is None:
                continue
            h = plot_height * value / biggest
            tip = f"{series_name} · {category}: {fmt(value)}"
            body.append(
                f'<rect class="bar" x="{x + index * column:.1f}" y="{base - h:.1f}" '
                f'width="{column - 1:.1f}" height="{h:.1f}" fill="{fills[index]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
        # "10-19" is shown as its lower bound: ranges would overlap their neighbours.
        tick = category.split("-")[0] if "-" in category[1:] else category
        body.append(_text(x + group / 2 - gap / 2, base + 13, _clip(tick, 6), "middle"))
    if x_title:
        body.append(_text(left + (width - left) / 2, height - 6, x_title, "middle"))
    return _svg(name, width, height, body)


def draw_waterfall(name: str, steps: Sequence[tuple[str, int]]) -> str:
    """Samples left after each stage; the part lost at each stage is drawn above in red."""
    column, gap, left, bottom, plot_height, top = 70.0, 30.0, 50.0, 30.0, 170.0, 14.0
    width = left + (column + gap) * len(steps) + 10
    height = top + plot_height + bottom
    biggest = max((count for _, count in steps), default=0) or 1
    base = top + plot_height
    body = [
        f'<line x1="{left:.1f}" y1="{base:.1f}" x2="{width - 10:.1f}" y2="{base:.1f}" '
        'stroke="#666"/>'
    ]
    previous: int | None = None
    for index, (step, count) in enumerate(steps):
        x = left + gap / 2 + index * (column + gap)
        h = plot_height * count / biggest
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{column:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{escape(step)}: {count}</title></rect>'
        )
        if previous is not None and previous > count:
            lost = plot_height * (previous - count) / biggest
            body.append(
                f'<rect class="lost" x="{x:.1f}" y="{base - h - lost:.1f}" width="{column:.1f}" '
                f'height="{lost:.1f}" fill="#e15759" fill-opacity="0.55">'
                f"<title>lost at {escape(step)}: {previous - count}</title></rect>"
            )
        body.append(_text(x + column / 2, base - h - 4, f"{count:,}", "middle"))
        body.append(_text(x + column / 2, base + 14, step, "middle"))
        previous = count
    return _svg(name, width, height, body)
