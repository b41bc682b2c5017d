"""From statements to seed events: filter by kind, scrub, shape, count; and batch ingest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlglot.errors import SqlglotError

from proto.seed import SeedEvent
from shared.ingest.datasets import DatasetSource
from shared.ingest.detect import PARSERS, InputFormat, LogFormat, detect_format
from shared.ingest.lines import read_lines
from shared.ingest.model import (
    SEED_KINDS,
    IngestIssue,
    IngestStats,
    Output,
    Statement,
    is_create_table,
    statement_kind,
)
from shared.ingest.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_sql, scrub_text, scrub_tokens
from shared.ingest.shape import ShapeCounter, shape_id
from shared.sql.feature_parse import resolve_dialect, tokenize_sql


@lru_cache(maxsize=65536)
def prepare_sql(sql: str, dialect: str | None, policy: ScrubPolicy) -> tuple[str, str]:
    """(seed id, scrubbed text) of a statement, tokenizing it once for both; logs repeat the
    same texts, hence the cache."""
    try:
        tokens = tokenize_sql(sql, resolve_dialect(dialect) if dialect else "postgres")
    except (SqlglotError, ValueError, IndexError):
        return shape_id(sql, dialect), scrub_sql(sql, dialect, policy)
    return shape_id(sql, dialect, tokens), scrub_tokens(sql, tokens, policy)


def build_seed(statement: Statement, policy: ScrubPolicy = DEFAULT_POLICY) -> SeedEvent:
    """The seed of one statement, scrubbed: the only way a statement leaves the service."""
    dialect = statement.dialect
    seed_id, sql = prepare_sql(statement.sql, dialect, policy)
    return SeedEvent(
        seed_id=seed_id,
        sql=sql,
        dialect=statement.engine,
        question=scrub_text(statement.question, policy) if statement.question else None,
        schema_ddl=scrub_sql(statement.schema_ddl, "sqlite", policy)
        if statement.schema_ddl
        else None,
        db_id=statement.db_id,
        evidence=scrub_text(statement.evidence, policy) if statement.evidence else None,
        source=statement.source,
        position=statement.position,
        duration_ms=statement.duration_ms,
        rows=statement.rows,
        error=scrub_text(statement.error, policy) if statement.error else None,
    )


@dataclass
class SeedFilter:
    """Turn parser outputs into seeds, counting everything that does not become one."""

    stats: IngestStats = field(default_factory=IngestStats)
    policy: ScrubPolicy = DEFAULT_POLICY
    kinds: frozenset[str] = SEED_KINDS
    # CREATE TABLE statements seen in the logs: schema evidence for inference, not seeds.
    ddl: list[str] = field(default_factory=list)
    dialect_override: str | None = None

    def accept(self, output: Output) -> SeedEvent | None:
        if isinstance(output, IngestIssue):
            self.stats.add_issue(output)
            return None
        self.stats.statements += 1
        if self.dialect_override:
            output.dialect = self.dialect_override
        kind = statement_kind(output.sql)
        if kind == "create" and output.error is None and is_create_table(output.sql):
            self.ddl.append(output.sql)
        if kind not in self.kinds:
            self.stats.skip(kind)
            return None
        return build_seed(output, self.policy)


def iterate_file(path: Path, fmt: LogFormat, dialect: str | None = None) -> Iterator[Output]:
    """Every output of one file read to its end (batch mode)."""
    if fmt is LogFormat.DATASET:
        yield from DatasetSource(path, dialect)
        return
    parser = PARSERS[fmt](str(path))
    with path.open("rb") as handle:
        for line in read_lines(handle):
            yield from parser.feed(line)
    yield from parser.finish()


@dataclass
class IngestResult:
    seeds: list[SeedEvent]
    stats: IngestStats
    formats: dict[str, str]
    ddl: list[str]

    @property
    def shapes(self) -> int:
        return len(self.seeds)


def ingest_files(
    paths: Iterable[Path],
    fmt: InputFormat | str = InputFormat.AUTO,
    *,
    dialect: str | None = None,
    policy: ScrubPolicy = DEFAULT_POLICY,
    kinds: frozenset[str] = SEED_KINDS,
) -> IngestResult:
    """Batch mode: read every file to its end, one seed per shape with its final count.

    A file no parser recognises is an issue of the run, not an exception.
    """
    seed_filter = SeedFilter(policy=policy, kinds=kinds, dialect_override=dialect)
    counter = ShapeCounter()
    formats: dict[str, str] = {}
    for path in paths:
        try:
            found = detect_format(path, fmt)
        except (ValueError, OSError) as exc:
            seed_filter.stats.add_issue(IngestIssue(str(path), "file", str(exc)))
            continue
        formats[str(path)] = found.value
        for output in iterate_file(path, found, dialect):
            if isinstance(output, Statement):
                seed_filter.stats.records += 1
            seed = seed_filter.accept(output)
            if seed is not None:
                counter.add(seed)
    return IngestResult(counter.seeds(), seed_filter.stats, formats, seed_filter.ddl)
