"""`sqlsynth export RUN_DIR --out DIR [--push-to-hub REPO]`: training-ready Parquet splits."""

from __future__ import annotations

import os
from pathlib import Path

import click

from services.cli.common import print_json, stderr_console
from shared.export.records import ExportError
from shared.export.writer import ExportPlan, describe_summary, export_run, summary_json


@click.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Export folder (default: RUN_DIR/export).",
)
@click.option("--dialect", default="sqlite", show_default=True, help="SQL dialect of SFT/DPO.")
@click.option("--push-to-hub", "repo_id", metavar="REPO", help="Upload to this dataset repo.")
@click.option("--private", is_flag=True, help="Create the hub repo as private.")
@click.option(
    "--allow-personal-values",
    is_flag=True,
    help="Push even when the privacy check finds values that look personal.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(
    run_dir: Path,
    out_dir: Path | None,
    dialect: str,
    repo_id: str | None,
    private: bool,
    allow_personal_values: bool,
    as_json: bool,
) -> None:
    """Parquet train/validation/test split by schema, a dataset card, SFT and DPO views."""
    console = stderr_console()
    target = out_dir or run_dir / "export"
    try:
        summary = export_run(run_dir, target, ExportPlan(view_dialect=dialect))
    except (ExportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(describe_summary(summary))
    if repo_id:
        from shared.export.hub import push_export

        try:
            pushed = push_export(
                target,
                repo_id,
                token=os.environ.get("HF_TOKEN"),
                private=private,
                allow_personal=allow_personal_values,
            )
        except ExportError as exc:
            raise click.ClickException(str(exc)) from exc
        if not pushed.privacy.clean:
            console.print(f"[yellow]pushed anyway:[/] {pushed.privacy.describe()}")
        console.print(
            f"pushed {pushed.files} files to {repo_id}: {pushed.commit_url} "
            f"({pushed.privacy.synthetic_allowed} reserved example addresses allowed)"
        )
    if as_json:
        print_json(summary_json(summary))
