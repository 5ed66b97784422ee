"""Charts as SVG text, drawn on the server for the PDF (WeasyPrint draws SVG; no browser, no script).
Small and plain: a line chart over days and a horizontal bar chart."""

from collections.abc import Sequence
from xml.sax.saxutils import escape

FONT = "WenQuanYi Micro Hei, sans-serif"
COLOURS = ("#1f6fd1", "#27ae60", "#f2994a", "#ff4d4f")


def _text(
    x: float, y: float, text: str, *, size: int = 11, anchor: str = "start", fill: str = "#33475b"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="{FONT}" '
        f'text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def _open(width: int, height: int) -> str:
    size = f'width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
    return f'<svg xmlns="http://www.w3.org/2000/svg" {size}>'


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float((int(value / step) + 1) * step)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: int = 640,
    height: int = 220,
) -> str:
    """Lines over labels (days), with a legend; each series is (name, values)."""
    left, right, top, bottom = 40, 12, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, values in series for v in values), default=0))
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_open(width, height)]
    for n in range(5):
        y = top + plot_h - plot_h * n / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e9f1"/>')
        parts.append(_text(left - 6, y + 4, f"{top_value * n / 4:g}", size=10, anchor="end"))
    for index, label in enumerate(labels):
        parts.append(_text(left + index * step, height - 10, label, size=10, anchor="middle"))
    for number, (name, values) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        points = " ".join(
            f"{left + i * step:.1f},{top + plot_h - plot_h * v / top_value:.1f}" for i, v in enumerate(values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<rect x="{left + number * 90}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(left + number * 90 + 16, 16, name))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    width: int = 640,
    unit: str = "",
    maximum: float | None = None,
) -> str:
    """Horizontal bars, one per (label, value); a None value is drawn as "–"."""
    left, right, bar, gap = 130, 60, 16, 6
    height = max(len(rows), 1) * (bar + gap) + 10
    top_value = maximum or _nice_max(max((v or 0 for _, v in rows), default=0))
    plot_w = width - left - right
    parts = [_open(width, height)]
    for index, (label, value) in enumerate(rows):
        y = 5 + index * (bar + gap)
        parts.append(_text(left - 6, y + bar - 4, label[:12], anchor="end"))
        length = plot_w * (value or 0) / top_value if top_value else 0
        parts.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{COLOURS[0]}"/>')
        shown = "–" if value is None else f"{value:g}{unit}"
        parts.append(_text(left + length + 4, y + bar - 4, shown))
    parts.append("</svg>")
    return "".join(parts)
