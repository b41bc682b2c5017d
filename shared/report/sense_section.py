"""The report's sense section: share of records per finding, datasets side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from proto.sense import SenseCheck
from shared.report.html_parts import format_cell, get_path, render_section, render_table
from shared.sense import ERROR_CHECKS


def render_sense(datasets: Sequence[dict[str, Any]], names: list[str]) -> str:
    measured = [d.get("sense") for d in datasets]
    if not any(measured):
        return ""
    rows: list[list[str]] = [
        ["records analysed", *(format_cell(get_path(m, ["analysed"]), "int") for m in measured)],
        [
            "with rows (data checks run)",
            *(format_cell(get_path(m, ["with_rows"]), "int") for m in measured),
        ],
        [
            "with an error-level finding",
            *(format_cell(get_path(m, ["with_error_share"]), "share") for m in measured),
        ],
    ]
    for check in SenseCheck:
        level = "error" if check in ERROR_CHECKS else "warning"
        cells = [
            format_cell(get_path(m, ["shares", check.value, "share"]), "share") for m in measured
        ]
        rows.append([f"{check.value} ({level})", *cells])
    intro = (
        "Issue 12's checks of meaning (docs/sense.md): the share of records with at least one "
        "finding of each check. Data checks run on the records' rows and are n/a without them "
        "(Spider, BIRD); on a user's dataset the structural and data checks are warnings."
    )
    return render_section("sense", "Sense findings", render_table(["", *names], rows), intro)
