"""What a run asks for, as command-line options: shared by `sqlsynth run` (embedded runtime) and
`sqlsynth submit` (a running cluster), so both build the same RunRequest the same way."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from proto.common import Level, Policy, ReviewMode
from proto.run import RunRequest
from proto.seed import SeedEvent
from shared.datasets.contamination import find_contamination
from shared.errors import EngineUnavailable
from shared.pipeline.engines import DRAFT_ENGINES
from shared.spec import build_spec, load_spec
from shared.spec.model import Spec, SpecError
from shared.sql.dialects import parse_engine

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_EXPAND_RATIO = 0.5
console = Console(stderr=True)

REQUEST_OPTIONS = [
    click.option(
        "--count",
        type=click.IntRange(min=1),
        default=100,
        show_default=True,
        help="accepted samples wanted",
    ),
    click.option("--spec", "spec_path", type=click.Path(exists=True, path_type=Path)),
    click.option(
        "--seeds",
        "seeds_file",
        type=click.Path(exists=True, path_type=Path),
        help="seeds JSONL of `sqlsynth ingest`, or any log/trace/dataset it reads: samples are "
        "planned on the seeds' schemas (expansion; back-translation of their SQL with Claude)",
    ),
    click.option(
        "--schema-from",
        default="infer",
        show_default=True,
        help="schema for seeds without DDL: infer, none, a DDL file or a database DSN",
    ),
    click.option(
        "--values-from",
        default=None,
        help="sample fixture values from the seeds' real database: a SQLite file, a folder of "
        "<db_id>/<db_id>.sqlite (Spider, BIRD) or a postgres:// / mysql:// DSN; personal values "
        "are scrubbed and replaced by generated ones (see --no-scrub-values)",
    ),
    click.option(
        "--no-scrub-values",
        "no_scrub_values",
        is_flag=True,
        help="keep the values sampled by --values-from as they are: e-mails, names, phone "
        "numbers and ids of your database may then reach the dataset (the seeds' own rows, "
        "SQL literals and comments are still scrubbed)",
    ),
    click.option(
        "--back-translate-share",
        type=click.FloatRange(0, 1),
        default=0.25,
        show_default=True,
        help="share of question-less seeds whose own SQL is kept and worded (needs Claude)",
    ),
    click.option(
        "--until-saturated",
        is_flag=True,
        help="stop once new samples are mostly near-duplicates (--count is then the budget)",
    ),
    click.option(
        "--budget-usd",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="stop planning once the run spent this many dollars (all replicas); in-flight "
        "samples finish, so the final spend passes it by what they cost",
    ),
    click.option(
        "--budget-tokens",
        type=click.IntRange(min=1),
        default=None,
        help="the same limit in billed tokens (input, output and cache)",
    ),
    click.option(
        "--mode",
        "growth_mode",
        type=click.Choice(["explore", "explore-expand"]),
        default="explore",
        show_default=True,
        help="explore-expand: plan in rounds and, once patterns are accepted, give part of each "
        "round to cheap variants of them on other tables, columns and values (SQL-Factory)",
    ),
    click.option(
        "--expand-ratio",
        type=click.FloatRange(0, 1, min_open=True),
        default=None,
        help=f"with --mode explore-expand: the share of an expanding round given to variants "
        f"[default: {DEFAULT_EXPAND_RATIO}]",
    ),
    click.option(
        "--round-size",
        type=click.IntRange(min=1),
        default=None,
        help="with --mode explore-expand: samples per round [default: a fifth of --count]",
    ),
    click.option(
        "--evolve-share",
        type=click.FloatRange(0, 1),
        default=None,
        help="with --mode explore-expand: the share of an expanding round's seeds evolved by "
        "one EvolSQL operator (chosen by feasibility and scarcity), not expanded [default: 0]",
    ),
    click.option("--engines", default="sqlite,postgres,mysql", show_default=True),
    click.option("--seed", type=int, default=0, show_default=True),
    click.option("--level", type=click.Choice([lv.value for lv in Level]), default="full"),
    click.option("--policy", type=click.Choice([p.value for p in Policy]), default="portable"),
    click.option("--max-attempts", type=int, default=3, show_default=True),
    click.option(
        "--review",
        type=click.Choice([m.value for m in ReviewMode]),
        default=ReviewMode.OFF.value,
        show_default=True,
        help="a person decides samples before acceptance in the review app: all of them, or "
        "those with warnings (sense, judge, engine disagreement, repair)",
    ),
    click.option(
        "--engine",
        "--generator",
        "engine",
        type=click.Choice(sorted(DRAFT_ENGINES)),
        default=None,
        help="generation engine: claude, openai (any /v1/chat/completions server, see "
        "SQLSYNTH_OPENAI_*) or template (default: claude when ANTHROPIC_API_KEY is set, openai "
        "when SQLSYNTH_OPENAI_BASE_URL is set, else template)",
    ),
]


def request_options(command: F) -> F:
    for option in reversed(REQUEST_OPTIONS):
        command = option(command)
    return command


def read_run_seeds(
    path: Path,
    pool: str,
    schema_from: str,
    values_from: str | None = None,
    *,
    scrub_values: bool = True,
) -> list[SeedEvent]:
    from shared.ingest.run_seeds import load_run_seeds

    try:
        loaded = asyncio.run(
            load_run_seeds(path, pool, schema_from, values_from, scrub_values=scrub_values)
        )
    except (OSError, ValueError, EngineUnavailable) as exc:
        raise click.UsageError(f"--seeds {path}: {exc}") from exc
    for problem in loaded.problems[:10]:
        console.print(f"[yellow]seeds:[/] {problem}")
    for found in find_contamination(loaded.seeds):
        console.print(f"[bold red]contamination:[/] {found.describe()}")
    if not loaded.seeds:
        raise click.UsageError(f"--seeds {path}: no usable seed in it")
    console.print(
        f"seeds: {len(loaded.seeds)} from {path} ({loaded.with_schema} with a schema to write on)"
    )
    return loaded.seeds


# Seed 000's objectives over the seeds' own distribution: more multi-table queries and non-inner
# joins than the seeds have (Spider dev: 6% over 3-5 tables, 0.2% non-inner), so these two keep
# the default spec's plan while styles, leads, conditions, complexity and features follow the seeds.
OBJECTIVE_PROPERTIES = ("num_tables", "join_kind")


def with_objectives(document: dict[str, Any]) -> dict[str, Any]:
    """The seeds' spec document with the default spec's entries for OBJECTIVE_PROPERTIES. Seeds
    are mostly of one level (Spider dev: 72% medium, 3% hard), so every level that joins takes
    the default's most multi-table mix: the seeded run plans as many 3-5-table queries as a
    default run does, not only as many as the default's medium level."""
    from shared.spec.validate import default_spec

    default = {p["name"]: copy.deepcopy(p) for p in default_spec().to_document()["properties"]}
    tables = default["num_tables"]
    branches = tables.get("conditional") or {}
    if branches:
        widest = max(branches.values(), key=_multi_table_share)
        tables["conditional"] = {
            level: widest if _multi_table_share(branch) > 0 else branch
            for level, branch in branches.items()
        }
    properties = [
        default[p["name"]] if p["name"] in OBJECTIVE_PROPERTIES else p
        for p in document["properties"]
    ]
    return {**document, "properties": properties}


def _multi_table_share(branch: dict[str, Any]) -> float:
    values = branch.get("values", branch)
    return float(sum(share for n, share in values.items() if 3 <= int(n) <= 5))


def run_spec(spec_path: Path | None, seeds_file: Path | None) -> Spec:
    """The spec a run plans from: the one given, else, when seeds with questions are given, the
    spec measured on them (DataFramer: the seeds define the distribution to match; seed 001:
    human questions as style references), so their styles, leads, conditions and query features
    and with them the questions' length follow the seeds (table counts and join kinds keep the
    default spec's objectives); else the default spec."""
    if spec_path is not None or seeds_file is None:
        return load_spec(spec_path)
    from shared.spec.from_seeds import spec_from_seeds

    try:
        built = spec_from_seeds(seeds_file)
        spec = build_spec(with_objectives(built.document))
    except (OSError, ValueError, SpecError) as exc:
        # Seeds a run can write on but the spec builder cannot measure keep the default plan.
        console.print(f"[yellow]spec:[/] the seeds could not be measured ({exc}): default spec")
        return load_spec(None)
    asked = sum(row.weight for row in built.seeds.rows if row.prompt_style)
    if not asked:
        return load_spec(None)  # no question to imitate: the spec's objectives as before
    console.print(
        f"spec: measured on {built.seeds.total} seeds ({asked} with a question) of {seeds_file}; "
        f"`sqlsynth spec --seeds` writes it, --spec replaces it"
    )
    return spec


def growth_options(options: dict[str, Any]) -> tuple[float, int, float]:
    """(expand_ratio, round_size, evolve_share) of the request; the round options only mean
    something in the explore-expand mode, so giving them without it is an error."""
    ratio, size = options.get("expand_ratio"), options.get("round_size")
    evolve = options.get("evolve_share")
    if options.get("growth_mode", "explore") == "explore":
        if ratio is not None or size is not None or evolve is not None:
            raise click.UsageError(
                "--expand-ratio, --round-size and --evolve-share need --mode explore-expand"
            )
        return 0.0, 0, 0.0
    return (DEFAULT_EXPAND_RATIO if ratio is None else ratio), (size or 0), (evolve or 0.0)


def build_request(
    options: dict[str, Any], generator: str, *, seed_pool: str | None = None, seed_count: int = 0
) -> tuple[RunRequest, list[SeedEvent]]:
    """The request and the seeds to publish before it. `seed_pool` names a pool the cluster
    already holds (from the ingest service) instead of seeds read from `--seeds`."""
    try:
        spec = run_spec(options["spec_path"], options["seeds_file"])
        engines = [parse_engine(name) for name in options["engines"].split(",") if name.strip()]
    except SpecError as exc:
        # One line: YAML's own messages span several (the mark, the context).
        problems = "; ".join(" ".join(error.split()) for error in exc.errors)
        raise click.UsageError(f"bad spec: {problems}") from exc
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    expand_ratio, round_size, evolve_share = growth_options(options)
    run_id = f"run-{uuid.uuid4().hex[:10]}"
    seeds: list[SeedEvent] = []
    seeds_file: Path | None = options["seeds_file"]
    if options.get("no_scrub_values") and not options.get("values_from"):
        raise click.UsageError("--no-scrub-values needs --values-from")
    if seeds_file is not None:
        seeds = read_run_seeds(
            seeds_file,
            run_id,
            options["schema_from"],
            options.get("values_from"),
            scrub_values=not options.get("no_scrub_values"),
        )
        seed_pool, seed_count = run_id, len(seeds)
    request = RunRequest(
        run_id=run_id,
        count=options["count"],
        spec=spec.to_document(),
        seed=options["seed"],
        engines=engines,
        level=Level(options["level"]),
        policy=Policy(options["policy"]),
        max_attempts=options["max_attempts"],
        generator=generator,
        seeds_file=str(seeds_file) if seeds_file else None,
        seed_pool=seed_pool,
        seed_count=seed_count,
        back_translate_share=options["back_translate_share"],
        until_saturated=options["until_saturated"],
        budget_usd=options.get("budget_usd"),
        budget_tokens=options.get("budget_tokens"),
        review=ReviewMode(options.get("review") or ReviewMode.OFF.value),
        expand_ratio=expand_ratio,
        round_size=round_size,
        evolve_share=evolve_share,
    )
    return request, seeds
