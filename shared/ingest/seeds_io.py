"""Seeds files (JSONL, one SeedEvent per line) and giving seeds the DDL of their tables.

In follow mode a shape is announced again each time its count doubles, so a seeds file may
hold several lines per seed id: readers keep the line with the highest count.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from pydantic import ValidationError
from sqlglot import exp
from sqlglot.errors import SqlglotError

from proto.seed import SeedEvent
from shared.ingest.model import IngestIssue, truncate_raw
from shared.ingest.schema_infer import is_user_table
from shared.ingest.schema_model import InferredSchema
from shared.ingest.schema_render import render_ddl
from shared.sql.feature_parse import parse_sql, resolve_dialect


def read_seeds(path: str | Path) -> tuple[list[SeedEvent], list[IngestIssue]]:
    """Seeds of a JSONL file, one per seed id (the highest count), and the unreadable lines."""
    best: dict[str, SeedEvent] = {}
    issues: list[IngestIssue] = []
    with Path(path).open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                seed = SeedEvent.model_validate_json(line)
            except ValidationError as exc:
                message = str(exc).splitlines()[0]
                issues.append(IngestIssue(str(path), f"line {number}", message, truncate_raw(line)))
                continue
            known = best.get(seed.seed_id)
            if known is None or seed.count >= known.count:
                best[seed.seed_id] = seed
    return list(best.values()), issues


def load_seeds(path: str | Path) -> list[SeedEvent]:
    """The planner's entry point: the seeds of a file, malformed lines left out."""
    return read_seeds(path)[0]


class SeedWriter:
    """Append seeds as JSON lines to a file (or stdout for "-"); `flush` makes them durable."""

    def __init__(self, target: str | Path) -> None:
        self.path = None if str(target) == "-" else Path(target)
        self._handle: IO[str]
        if self.path is None:
            self._handle = sys.stdout
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self.written = 0

    def write(self, seeds: Iterable[SeedEvent]) -> None:
        for seed in seeds:
            self._handle.write(seed.model_dump_json(exclude_none=True) + "\n")
            self.written += 1

    def flush(self) -> None:
        self._handle.flush()
        if self.path is not None and self.path.is_file():  # /dev/null cannot fsync
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        self.flush()
        if self.path is not None:
            self._handle.close()


def tables_of(sql: str, dialect: str | None = None) -> list[str]:
    """The user tables a statement reads or writes (CTE names excluded), in order of use."""
    try:
        trees = parse_sql(sql, resolve_dialect(dialect) if dialect else "postgres").statements
    except (SqlglotError, ValueError, RecursionError):
        return []
    names: list[str] = []
    for tree in trees:
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if is_user_table(table) and table.name.lower() not in ctes and table.name not in names:
                names.append(table.name)
    return names


def attach_schema(
    seeds: Iterable[SeedEvent], schema: InferredSchema, dialect: str | None = None
) -> list[SeedEvent]:
    """Give each seed without DDL the CREATE TABLEs of the tables it uses (and their parents)."""
    out = []
    for seed in seeds:
        if seed.schema_ddl is None:
            names = tables_of(seed.sql, seed.dialect.value if seed.dialect else None)
            known = [n for n in names if n.lower() in schema.tables or n.lower() in schema.declared]
            if known:
                seed = seed.model_copy(update={"schema_ddl": render_ddl(schema, dialect, known)})
        out.append(seed)
    return out
