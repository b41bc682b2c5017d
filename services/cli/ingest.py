"""`sqlsynth ingest FILE...`: logs, traces and datasets into seeds (seed.ingested events).

Batch mode reads every file to its end and writes one seed per statement shape with its
count; `--follow` tails the files, surviving rotation, and resumes from the state file after a
restart without announcing anything twice. Seeds go to a JSONL file (`--out`, stdout by
default) or to NATS (`--publish`). The summary (counts, issues with their positions) goes to
stderr, or to stdout as JSON with `--json` when seeds go elsewhere.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any, Protocol

import click

from proto.seed import SeedEvent
from services.cli.common import print_json, stderr_console
from services.ingest.publisher import SeedPublisher
from shared.errors import EngineUnavailable
from shared.ingest.catalog import read_schema_source
from shared.ingest.detect import InputFormat
from shared.ingest.follow import Follower
from shared.ingest.model import IngestStats
from shared.ingest.run_seeds import resolve_schema
from shared.ingest.schema_infer import infer_schema
from shared.ingest.schema_render import render_ddl
from shared.ingest.scrub import ScrubPolicy
from shared.ingest.seeds import ingest_files
from shared.ingest.seeds_io import SeedWriter, attach_schema
from shared.runtime.signals import terminate_as_interrupt
from shared.sql.feature_parse import resolve_dialect

POOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Exit code when some input could not be read at all (the others were ingested).
EXIT_ISSUES = 2


class SeedSink(Protocol):
    async def send(self, seeds: list[SeedEvent]) -> None: ...

    async def close(self) -> None: ...


class FileSink:
    def __init__(self, target: str) -> None:
        self.writer = SeedWriter(target)

    async def send(self, seeds: list[SeedEvent]) -> None:
        self.writer.write(seeds)
        self.writer.flush()

    async def close(self) -> None:
        self.writer.close()


async def open_sink(out: str, publish: bool, nats_url: str) -> SeedSink:
    if not publish:
        return FileSink(out)
    return await SeedPublisher.connect(nats_url)


async def run_batch(
    files: list[Path], options: dict[str, Any], sink: SeedSink
) -> tuple[IngestStats, dict[str, Any]]:
    started = time.perf_counter()
    result = ingest_files(
        files, options["fmt"], dialect=options["dialect"], policy=options["policy"]
    )
    elapsed = time.perf_counter() - started
    seeds = result.seeds
    schema = await resolve_schema(options["schema_from"], seeds)
    if schema is not None:
        if result.ddl:
            schema.declared.update(infer_schema(result.ddl).declared)
        seeds = attach_schema(seeds, schema)
        if options["schema_out"]:
            Path(options["schema_out"]).write_text(render_ddl(schema) + "\n", encoding="utf-8")
    await sink.send(seeds)
    extra = {
        "formats": result.formats,
        "shapes": len(seeds),
        "seconds": round(elapsed, 3),
        "statements_per_second": round(result.stats.statements / elapsed, 1) if elapsed else None,
        "tables": len(schema.tables) if schema is not None else None,
    }
    return result.stats, extra


async def run_follow(
    files: list[Path], options: dict[str, Any], sink: SeedSink
) -> tuple[IngestStats, dict[str, Any]]:
    follower = Follower(
        files,
        options["fmt"],
        state_path=options["state"],
        dialect=options["dialect"],
        policy=options["policy"],
        idle_seconds=options["idle"],
    )
    schema = None
    if options["schema_from"] not in ("none", "infer"):
        schema = await read_schema_source(options["schema_from"])
    deadline = time.monotonic() + options["max_seconds"] if options["max_seconds"] else None
    announced = 0
    try:
        while deadline is None or time.monotonic() < deadline:
            seeds = await asyncio.to_thread(follower.poll)
            if seeds:
                if schema is not None:
                    seeds = attach_schema(seeds, schema)
                await sink.send(seeds)
                announced += len(seeds)
            follower.commit()  # only after the seeds are delivered
            await asyncio.sleep(options["poll"])
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        follower.commit()
        follower.close()
    return follower.stats, {"announced": announced, "shapes": len(follower.counter)}


class PoolSink:
    """Puts every seed into the named pool (the planner keeps one per name) before sending."""

    def __init__(self, sink: SeedSink, pool: str) -> None:
        self.sink, self.pool = sink, pool

    async def send(self, seeds: list[SeedEvent]) -> None:
        await self.sink.send([seed.model_copy(update={"pool": self.pool}) for seed in seeds])

    async def close(self) -> None:
        await self.sink.close()


async def run(files: list[Path], options: dict[str, Any]) -> tuple[IngestStats, dict[str, Any]]:
    opened = await open_sink(options["out"], options["publish"], options["nats_url"])
    sink = PoolSink(opened, options["pool"])
    try:
        if options["follow"]:
            stats, extra = await run_follow(files, options, sink)
        else:
            stats, extra = await run_batch(files, options, sink)
    finally:
        await sink.close()
    # A publisher also tells how many announcements JetStream had already (replays).
    for name in ("published", "duplicates"):
        if hasattr(opened, name):
            extra[name] = getattr(opened, name)
    return stats, extra


def check_pool(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not POOL_NAME.fullmatch(value):
        raise click.BadParameter("letters, digits, '_' and '-' only (at most 64)")
    return value


def check_dialect(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> str | None:
    if value is None:
        return None
    try:
        resolve_dialect(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc
    return value


@click.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in InputFormat]),
    default="auto",
    show_default=True,
)
@click.option("--out", default="-", show_default=True, help="seeds JSONL file (- for stdout)")
@click.option("--publish", is_flag=True, help="publish seed.ingested events to NATS instead")
@click.option("--nats-url", envvar="SQLSYNTH_NATS_URL", default="nats://127.0.0.1:4222")
@click.option(
    "--pool",
    default="default",
    show_default=True,
    callback=check_pool,
    help="seed pool for the planner (a run draws from one: sqlsynth submit --seed-pool)",
)
@click.option("--follow", is_flag=True, help="tail the files (rotation-safe, resumable)")
@click.option(
    "--state",
    type=click.Path(path_type=Path),
    help="follow-mode state file [default: .sqlsynth-ingest.state.json]",
)
@click.option(
    "--dialect",
    callback=check_dialect,
    help="SQL dialect of the statements (e.g. tsql for SDSS)",
)
@click.option(
    "--schema-from",
    default="infer",
    show_default=True,
    help="infer | none | a DDL file | postgres://… | mysql://… (a live catalogue)",
)
@click.option("--schema-out", type=click.Path(path_type=Path), help="write the schema DDL here")
@click.option("--max-words", type=int, default=12, show_default=True, help="longer = free text")
@click.option("--poll", type=float, default=1.0, show_default=True, help="follow: seconds")
@click.option("--idle", type=float, default=2.0, show_default=True, help="follow: flush after")
@click.option("--max-seconds", type=float, default=0.0, help="follow: stop after (0 = never)")
@click.option("--json", "as_json", is_flag=True, help="summary as JSON on stdout")
def command(
    files: tuple[Path, ...],
    fmt: str,
    out: str,
    publish: bool,
    nats_url: str,
    pool: str,
    follow: bool,
    state: Path | None,
    dialect: str | None,
    schema_from: str,
    schema_out: Path | None,
    max_words: int,
    poll: float,
    idle: float,
    max_seconds: float,
    as_json: bool,
) -> None:
    """Turn logs (PostgreSQL, MySQL/MariaDB), traces (OpenTelemetry JSON) and datasets into
    seeds, with personal data scrubbed and repeated statement shapes counted."""
    if as_json and out == "-" and not publish:
        raise click.UsageError("--json needs --out FILE or --publish (stdout carries the seeds)")
    options: dict[str, Any] = {
        "fmt": InputFormat(fmt),
        "out": out,
        "publish": publish,
        "nats_url": nats_url,
        "pool": pool,
        "follow": follow,
        "state": state or Path(".sqlsynth-ingest.state.json"),
        "dialect": dialect,
        "schema_from": schema_from,
        "schema_out": schema_out,
        "policy": ScrubPolicy(max_words=max_words),
        "poll": poll,
        "idle": idle,
        "max_seconds": max_seconds,
    }
    try:
        with terminate_as_interrupt():
            stats, extra = asyncio.run(run(list(files), options))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (EngineUnavailable, OSError, ValueError) as exc:
        # A catalogue that cannot be read, an unwritable --out, an unreachable broker.
        raise click.ClickException(str(exc)) from exc
    summary = {**stats.to_json(), **extra}
    if as_json:
        print_json(summary)
    else:
        report(summary)
    if any(issue.position == "file" for issue in stats.issues):
        raise SystemExit(EXIT_ISSUES)


def report(summary: dict[str, Any]) -> None:
    console = stderr_console()
    console.print(
        f"ingested {summary['records']} statements → {summary.get('shapes')} shapes; "
        f"skipped {sum(summary['skipped'].values())}; issues {summary['issues']}"
    )
    for issue in summary["issue_details"][:20]:
        console.print(f"  {issue['source']}:{issue['position']}: {issue['message']}", markup=False)
    if summary["issues"] > 20:
        console.print(f"  … {summary['issues'] - 20} more (see --json)")
