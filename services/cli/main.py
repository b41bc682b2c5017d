"""The `sqlsynth` command group and the one place its subcommands are registered.

Each subcommand module only defines its click command; importing it registers nothing. The
group is assembled here, explicitly, as FastStream keeps its CLI apart from its brokers.

Subcommands are named here by import path and loaded when used: `sqlsynth --help` then reads
only this table instead of importing every command's dependencies (the report imports scipy,
reasoning the Anthropic SDK, export `datasets`; together they took seconds). A test keeps each
summary equal to the command's own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class CommandEntry:
    """A subcommand by name: where it lives, and its one-line help for the group's listing."""

    name: str
    target: str  # "package.module:attribute"
    summary: str

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry(
        "validate",
        "services.cli.validate:command",
        "Validate an existing dataset FILE on SQLite, PostgreSQL and MySQL.",
    ),
    CommandEntry(
        "report",
        "services.cli.report:command",
        "Quality report of DATASET (a file or a run folder), side by side with --compare ones.",
    ),
    CommandEntry(
        "ingest",
        "services.cli.ingest:command",
        "Turn logs (PostgreSQL, MySQL/MariaDB), traces (OpenTelemetry JSON) and datasets into "
        "seeds, with personal data scrubbed and repeated statement shapes counted.",
    ),
    CommandEntry(
        "spec",
        "services.cli.spec:command",
        "Build a spec from seeds (and objectives), or compare and check specs.",
    ),
    CommandEntry(
        "dedup",
        "services.cli.dedup:command",
        "Remove near-duplicate rows from dataset FILE (exact, question and SQL layers).",
    ),
    CommandEntry(
        "export",
        "services.cli.export:command",
        "Parquet train/validation/test split by schema, a dataset card, SFT and DPO views.",
    ),
    CommandEntry(
        "pairs",
        "services.cli.pairs:command",
        "Preference pairs: gold SQL against weak candidates that fail or differ in result.",
    ),
    CommandEntry(
        "evolve",
        "services.cli.evolve:command",
        "Evolve a run's accepted records into harder ones (EvolSQL operators, N rounds).",
    ),
    CommandEntry(
        "reasoning",
        "services.cli.reasoning:command",
        "Reasoning traces: Claude answers kept when their result equals gold, or offline traces.",
    ),
    CommandEntry(
        "score",
        "services.cli.score:command",
        "Run predicted SQL on each record's fixture on every engine; accuracy per group.",
    ),
    CommandEntry(
        "overlap",
        "services.cli.overlap:command",
        "Contamination check of DATASET (export folder or file) against OTHER (e.g.",
    ),
    CommandEntry(
        "run",
        "services.cli.run:run_command",
        "Generate a dataset: start the runtime, run every service, write the files.",
    ),
    CommandEntry(
        "up",
        "services.cli.run:up_command",
        "Run every service against external NATS and databases (DSNs from SQLSYNTH_* env).",
    ),
    CommandEntry(
        "submit",
        "services.cli.submit:submit_command",
        "Start a run on running services; the cluster's sink writes the dataset.",
    ),
    CommandEntry(
        "review",
        "services.cli.review:command",
        "Review a finished run in the browser: queue, edits re-run on the engines, guidelines, "
        "per-cycle measures and the reviewed export.",
    ),
)


class LazyGroup(click.Group):
    """A group whose subcommands are imported when one is run (or its help is asked for)."""

    def __init__(self, entries: tuple[CommandEntry, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entries = {entry.name: entry for entry in entries}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.entries)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.entries.get(cmd_name)
        return entry.load() if entry else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click would load every command for its short help; the table has it already.
        limit = formatter.width - 6 - max(len(name) for name in self.entries)
        rows = [
            (name, click.Command(name, help=self.entries[name].summary).get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def build_cli() -> click.Group:
    """The `sqlsynth` group with every subcommand of COMMANDS."""

    group = LazyGroup(
        COMMANDS,
        name="sqlsynth",
        help="Generate and check synthetic, execution-validated Text-to-SQL datasets.",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    return click.version_option(package_name="sqlsynth")(group)


cli = build_cli()
