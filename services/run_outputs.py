"""What `sqlsynth run` writes after the dataset: the training-ready export (and, asked for,
preference pairs), each failure one printed line that leaves the dataset in place."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from shared.export.records import ExportError
from shared.export.writer import describe_summary, export_run

EXPORT_DIR = "export"


def write_outputs(out_dir: Path, console: Console) -> None:
    try:
        summary = export_run(out_dir, out_dir / EXPORT_DIR)
    except (ExportError, OSError) as exc:
        console.print(f"[yellow]export skipped:[/] {exc}")
        return
    console.print(describe_summary(summary))
