"""`sqlsynth spec`: a spec from seeds and written objectives; `spec diff A B`; `spec check FILE`.

    sqlsynth spec --seeds FILE [--objectives FILE] [--out spec.yaml] [--strict]
    sqlsynth spec diff A B [--json]        (A or B may be "default": the shipped spec)
    sqlsynth spec check FILE

The spec goes to --out (or stdout); everything said about it goes to stderr, so the YAML can be
piped. `--objectives` needs Claude: without an API key it is refused (exit 2) before any work.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from services.cli.common import print_json, stderr_console
from shared.datasets import DatasetError, DatasetFormat
from shared.errors import SqlsynthError
from shared.spec import Spec, SpecError, build_spec, default_spec, load_spec, validate_spec
from shared.spec.spec_yaml import dump_spec_yaml

if TYPE_CHECKING:
    # Imported where used: every `sqlsynth` subcommand imports this module.
    from shared.spec.diff import SpecDiff
    from shared.spec.from_seeds import SeedSpec
    from shared.spec.seed_measure import SeedMeasurements

EXIT_NO_KEY = 2
FORMATS = ["auto", "seeds", *(f.value for f in DatasetFormat if f is not DatasetFormat.AUTO)]
HEADLINE = ("complexity", "task_type", "prompt_style", "num_tables", "join_kind")
NO_KEY_MESSAGE = (
    "--objectives needs Claude to turn the objectives into spec edits, and ANTHROPIC_API_KEY is "
    "not set. Export it (export ANTHROPIC_API_KEY=sk-ant-...), or leave out --objectives to get "
    "the spec measured from the seeds alone."
)


def has_api_key() -> bool:
    from shared.llm.settings import LlmSettings

    return LlmSettings().has_key()


def describe_shares(shares: dict[Any, float], limit: int = 6) -> str:
    items = list(shares.items())[:limit]
    return ", ".join(f"{value} {share:.1%}" for value, share in items)


def print_measurements(console: Console, seeds: SeedMeasurements) -> None:
    from shared.spec.seed_measure import measured_shares

    table = Table(title=f"measured on {seeds.total} seeds ({seeds.kind})", show_header=True)
    table.add_column("property")
    table.add_column("measured")
    for name in HEADLINE:
        table.add_row(name, describe_shares(measured_shares(seeds, name)) or "not measured")
    features = {
        name: measured_shares(seeds, name).get(True, 0.0)
        for name in sorted({f"uses_{f.value}" for row in seeds.rows for f in row.features})
    }
    top = sorted(features.items(), key=lambda item: -item[1])[:8]
    table.add_row("features", ", ".join(f"{n[5:]} {p:.1%}" for n, p in top) or "none")
    console.print(table)
    for reason, count in sorted(seeds.excluded.items()):
        console.print(f"excluded {count}: {reason}", markup=False, soft_wrap=True)
    for reason, count in sorted(seeds.adjustments.items()):
        console.print(f"adjusted {count}: {reason}", markup=False, soft_wrap=True)
    if seeds.unreadable:
        console.print(f"unreadable lines: {seeds.unreadable}")


def header_lines(built: SeedSpec | None, objectives: Path | None) -> list[str]:
    lines = ["sqlsynth spec"]
    if built is not None:
        seeds = built.seeds
        lines[0] += f": measured from {seeds.total} seeds of {seeds.source} ({seeds.kind})"
        lines += [
            "Each property's `evidence` holds the counts behind its probabilities (docs/spec.md",
            "lists the measuring rules: DDL excluded, RIGHT/FULL joins counted as left, features",
            "projected onto the coherence rules, add-alpha smoothing unless --strict).",
        ]
    else:
        lines[0] += ": the default spec"
    if objectives is not None:
        lines.append(f"Edited for the objectives in {objectives}: see each `evidence.objectives`.")
    lines.append(
        "Edit freely; `sqlsynth spec check FILE` validates, `sqlsynth spec diff A B` compares."
    )
    return lines


def run_objectives(document: dict[str, Any], text: str) -> Any:
    from shared.llm.client import LlmClient
    from shared.llm.settings import LlmSettings
    from shared.spec.objectives import apply_objectives

    async def call() -> Any:
        client = LlmClient(LlmSettings())
        try:
            return await apply_objectives(document, text, client)
        finally:
            await client.aclose()

    return asyncio.run(call())


def print_changes(console: Console, result: Any, diff: SpecDiff) -> None:
    by_target: dict[str, list[str]] = {}
    for change in diff.changes:
        where = f"{change.where}: " if change.where else ""
        key = change.target or change.section
        by_target.setdefault(key, []).append(f"    {change.kind} {where}{change.detail}")
    shown: set[str] = set()
    console.print(f"objectives: {len(result.edits)} edit(s) in {result.rounds} call round(s)")
    for edit in result.edits:
        console.print(f"- {edit.op} {edit.target}: {edit.why}", markup=False, soft_wrap=True)
        key = "domains" if edit.op == "set_domains" else edit.target
        if key not in shown:
            shown.add(key)
            for line in by_target.get(key, []):
                console.print(line, markup=False, soft_wrap=True)
    cost = result.cost
    console.print(
        f"LLM: {cost.calls} call(s), ${cost.usd:.4f} (in {cost.input_tokens:,} / out "
        f"{cost.output_tokens:,} / cache read {cost.cache_read_input_tokens:,})"
    )


def load_named(name: str) -> Spec:
    """A spec file, or the shipped spec for "default"."""
    if name == "default":
        return default_spec()
    return load_spec(Path(name))


@click.group("spec", invoke_without_command=True)
@click.option("--seeds", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option(
    "--objectives",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="plain-text generation objectives (needs ANTHROPIC_API_KEY)",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="default: stdout")
@click.option("--strict", is_flag=True, help="no smoothing: values never seen get probability 0")
@click.option("--weight-by-count", is_flag=True, help="weigh each ingest seed by its count")
@click.option("--name", default="", help="the spec's name")
@click.option(
    "--dialect", default=None, help="SQL dialect of seeds that name none (e.g. tsql for SDSS)"
)
@click.option("--json", "as_json", is_flag=True, help="a JSON summary (with the spec) on stdout")
@click.pass_context
def command(
    ctx: click.Context,
    seeds: Path | None,
    fmt: str,
    objectives: Path | None,
    out: Path | None,
    strict: bool,
    weight_by_count: bool,
    name: str,
    dialect: str | None,
    as_json: bool,
) -> None:
    """Build a spec from seeds (and objectives), or compare and check specs."""
    if ctx.invoked_subcommand is not None:
        return
    from shared.spec.diff import diff_specs
    from shared.spec.from_seeds import spec_from_seeds
    from shared.spec.seed_measure import measured_shares
    from shared.spec.support import flag_unsupported

    console = stderr_console()
    if seeds is None and objectives is None:
        raise click.UsageError("give --seeds FILE, --objectives FILE, or both")
    if objectives is not None and not has_api_key():
        console.print(f"error: {NO_KEY_MESSAGE}", markup=False, soft_wrap=True)
        ctx.exit(EXIT_NO_KEY)
    built: SeedSpec | None = None
    if seeds is not None:
        try:
            built = spec_from_seeds(
                seeds,
                format=fmt,
                strict=strict,
                weight_by_count=weight_by_count,
                name=name,
                dialect=dialect,
            )
        except (DatasetError, OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        print_measurements(console, built.seeds)
        for note in built.notes:
            console.print(f"note: {note}", markup=False, soft_wrap=True)
        document = built.document
    else:
        document = default_spec().to_document()
    problems = validate_spec(document)
    if problems:
        raise click.ClickException("the measured spec is invalid:\n" + "\n".join(problems))
    result = None
    if objectives is not None:
        from shared.spec.objectives import ObjectivesFailed

        before = build_spec(document)
        try:
            result = run_objectives(document, objectives.read_text(encoding="utf-8"))
        except ObjectivesFailed as exc:
            raise click.ClickException(str(exc)) from exc
        except SqlsynthError as exc:
            raise click.ClickException(f"Claude call failed: {exc}") from exc
        document = result.document
        print_changes(console, result, diff_specs(before, build_spec(document)))
    flags = flag_unsupported(build_spec(document))
    for flag in flags:
        console.print(f"flag: {flag}", markup=False, soft_wrap=True)
    text = dump_spec_yaml(document, header_lines(built, objectives))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({len(document['properties'])} properties, valid)")
    if as_json:
        summary: dict[str, Any] = {"out": str(out) if out else None, "flags": flags}
        if built is not None:
            summary["measured"] = {n: measured_shares(built.seeds, n) for n in HEADLINE}
            summary["seeds"] = built.seeds.total
            summary["excluded"] = dict(built.seeds.excluded)
            summary["notes"] = built.notes
        if result is not None:
            summary["edits"] = [e.model_dump(exclude_none=True) for e in result.edits]
        summary["spec"] = document
        print_json(summary)
    elif out is None:
        click.echo(text, nl=False)


@command.command("diff")
@click.argument("before")
@click.argument("after")
@click.option("--json", "as_json", is_flag=True, help="the changes as JSON")
@click.option("--no-overall", is_flag=True, help="skip the overall (after rejection) shares")
def diff_command(before: str, after: str, as_json: bool, no_overall: bool) -> None:
    """What changed from spec BEFORE to spec AFTER ("default" = the shipped spec)."""
    from shared.spec.diff import diff_specs

    try:
        diff = diff_specs(load_named(before), load_named(after), overall=not no_overall)
    except SpecError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        print_json({"before": before, "after": after, **diff.to_json()})
    else:
        click.echo(diff.render())


@command.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(path: Path) -> None:
    """Validate a spec file and flag what some engine or generator cannot honour."""
    from shared.spec.support import flag_unsupported

    console = stderr_console()
    try:
        spec = load_spec(path)
    except SpecError as exc:
        raise click.ClickException(str(exc)) from exc
    for flag in flag_unsupported(spec):
        console.print(f"flag: {flag}", markup=False, soft_wrap=True)
    click.echo(f"{path}: valid ({len(spec.properties)} properties, {len(spec.domains)} domains)")
