"""The table of `sqlsynth validate --sense`: share of records per finding."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from proto.sense import SenseCheck
from shared.sense import ERROR_CHECKS, Origin, severity_of


def render_sense_table(summary: dict[str, Any]) -> Table:
    origins = ", ".join(f"{n} {o}" for o, n in sorted(summary["origin"].items()))
    table = Table(
        caption=f"level by origin of the records ({origins or 'none'}): docs/sense.md",
        title=(
            f"Sense: {summary['analysed']} records analysed ({summary['with_rows']} with rows), "
            f"{format_share(summary['with_error_share'])} with an error-level finding"
        ),
    )
    for name in ("check", "group", "level", "records", "share"):
        table.add_column(name, justify="right" if name in ("records", "share") else "left")
    for check in SenseCheck:
        row = summary["shares"][check.value]
        share = format_share(row["share"])
        levels = sorted({severity_of(check, Origin(o)).value for o in summary["origin"]})
        level = "/".join(levels) or ("error" if check in ERROR_CHECKS else "warning")
        table.add_row(check.value, row["group"], level, f"{row['count']}/{row['over']}", share)
    return table


def format_share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
