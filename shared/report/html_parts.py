"""Small HTML helpers shared by the report's sections: tables, number formats, merged labels."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

Cell = str | int | float | None


def format_cell(value: Cell, kind: str = "number") -> str:
    """`share` prints a percentage, `int` a count, `number` three significant digits."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "int" or isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}" if abs(value) >= 0.001 or value == 0 else f"{value:.2e}"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    """Cells are already formatted text; everything is escaped here."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_metric_rows(
    datasets: Sequence[dict[str, Any]],
    rows: Sequence[tuple[str, Sequence[str], str]],
) -> list[list[str]]:
    """One row per (label, key path, kind) with one cell per dataset."""
    out: list[list[str]] = []
    for label, path, kind in rows:
        out.append([label, *(format_cell(get_path(d, path), kind) for d in datasets)])
    return out


def get_path(document: Any, path: Sequence[str]) -> Any:
    """document[path[0]][path[1]]...; None as soon as a key is missing."""
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def rank_bucket(label: str) -> float:
    """Histogram bucket labels ("3", "10-19", "150+") in numeric order."""
    head = label.rstrip("+").split("-")[0]
    try:
        return float(head) + (0.5 if label.endswith("+") else 0.0)
    except ValueError:
        return float("inf")


def merge_keys(mappings: Sequence[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for mapping in mappings:
        seen.update(dict.fromkeys(mapping))
    return list(seen)


def render_section(anchor: str, title: str, body: str, intro: str = "") -> str:
    lead = f"<p class='intro'>{intro}</p>" if intro else ""
    return f"<section id='{escape(anchor)}'><h2>{escape(title)}</h2>{lead}{body}</section>"
