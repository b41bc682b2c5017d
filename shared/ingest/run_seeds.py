"""Seeds for `sqlsynth run --seeds FILE`: read, give each a schema, and put them in the run's pool.

FILE is a seeds JSONL written by `sqlsynth ingest`, or anything ingest reads (query logs, OTel
traces, Gretel/Spider/BIRD datasets, CSV with a SQL column). Seeds without DDL get the schema of
the tables they use from `schema_from`: inferred from all the seeds together (the default), a
DDL file, or a live database's catalogue. Failed statements are left out: their SQL is not a
query anyone should learn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from proto.seed import SeedEvent
from shared.ingest.catalog import read_schema_source
from shared.ingest.schema_infer import infer_schema
from shared.ingest.schema_model import InferredSchema
from shared.ingest.seeds import ingest_files
from shared.ingest.seeds_io import attach_schema, read_seeds
from shared.ingest.value_source import attach_database_values
from shared.spec.seed_measure import is_seeds_file


@dataclass
class RunSeeds:
    seeds: list[SeedEvent]
    # Lines or statements that could not be read, and seeds left out, with the reason.
    problems: list[str] = field(default_factory=list)

    @property
    def with_schema(self) -> int:
        return sum(1 for seed in self.seeds if seed.schema_ddl)


async def resolve_schema(schema_from: str, seeds: list[SeedEvent]) -> InferredSchema | None:
    """`none`, `infer` (from the seeds' own statements), or a DDL file / database DSN."""
    if schema_from == "none":
        return None
    if schema_from == "infer":
        return infer_schema(seeds)
    return await read_schema_source(schema_from)


def read_any(path: Path) -> tuple[list[SeedEvent], list[str]]:
    if is_seeds_file(path):
        seeds, issues = read_seeds(path)
        return seeds, [f"{path}:{i.position}: {i.message}" for i in issues]
    result = ingest_files([path])
    problems = [f"{i.source}:{i.position}: {i.message}" for i in result.stats.issues]
    return result.seeds, problems


async def load_run_seeds(
    path: Path,
    pool: str,
    schema_from: str = "infer",
    values_from: str | None = None,
    *,
    scrub_values: bool = True,
) -> RunSeeds:
    seeds, problems = read_any(path)
    failed = [seed for seed in seeds if seed.error is not None]
    if failed:
        problems.append(f"{len(failed)} seeds left out: their statement failed where it was logged")
    seeds = [seed for seed in seeds if seed.error is None]
    if any(seed.schema_ddl is None for seed in seeds):
        schema = await resolve_schema(schema_from, seeds)
        if schema is not None:
            seeds = attach_schema(seeds, schema)
    if values_from:
        seeds, report = await attach_database_values(seeds, values_from, scrub=scrub_values)
        problems += report.problems
        scrubbed = (
            f"{report.scrubbed} personal values scrubbed"
            if report.scrub
            else "values NOT scrubbed (--no-scrub-values): personal data may reach the dataset"
        )
        problems.append(
            f"values: {report.tables} tables sampled for {report.seeds} seeds; {scrubbed}"
        )
    pooled = [seed.model_copy(update={"pool": pool}) for seed in seeds]
    return RunSeeds(pooled, problems)
