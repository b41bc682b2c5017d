"""The `sqlsynth` command. Each subcommand lives in its own module and registers here."""

from __future__ import annotations

import importlib

import click

# Modules under shared.cli that define a click command named `command`.
SUBCOMMANDS = [
    "validate",
    "report",
    "ingest",
    "spec",
    "dedup",
    "export",
    "pairs",
    "reasoning",
    "score",
    "overlap",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sqlsynth")
def cli() -> None:
    """Generate and check synthetic, execution-validated Text-to-SQL datasets."""


def _register() -> None:
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"shared.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"shared.cli.{name}":
                continue  # not built yet
            raise
        cli.add_command(module.command)


_register()
