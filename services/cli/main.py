"""The `sqlsynth` command group and the one place its subcommands are registered.

Each subcommand module only defines its click command; importing it registers nothing. The
group is assembled here, explicitly, as FastStream keeps its CLI apart from its brokers.
"""

from __future__ import annotations

import click

from services.cli import (
    dedup,
    evolve,
    export,
    ingest,
    overlap,
    pairs,
    reasoning,
    report,
    review,
    run,
    score,
    spec,
    submit,
    validate,
)

COMMANDS: tuple[click.Command, ...] = (
    validate.command,
    report.command,
    ingest.command,
    spec.command,
    dedup.command,
    export.command,
    pairs.command,
    evolve.command,
    reasoning.command,
    score.command,
    overlap.command,
    run.run_command,
    run.up_command,
    submit.submit_command,
    review.command,
)


def build_cli() -> click.Group:
    """The `sqlsynth` group with every subcommand of COMMANDS added."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="sqlsynth")
    def cli() -> None:
        """Generate and check synthetic, execution-validated Text-to-SQL datasets."""

    for command in COMMANDS:
        cli.add_command(command)
    return cli


cli = build_cli()
