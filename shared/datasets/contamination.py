"""Seeds that come from a public evaluation set: training data built on them contaminates it.

A model evaluated on Spider dev or BIRD dev must not have trained on questions, queries or
databases of that split. A run seeded from one (the dataset file itself, a copy under another
name, or only its schemas) is recognised by fingerprints of the split: the column set of each of
its databases (table.column, case-folded) and a digest of each gold query. The fingerprints are
built from the split's own files (`build_fingerprints`) and stored in `benchmarks.json` beside
this module, since the data files do not ship with the package; a test rebuilds them from the
real files to keep them honest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from proto.seed import SeedEvent

BENCHMARKS_FILE = Path(__file__).with_name("benchmarks.json")
# A seed schema that shares this share of its columns with a benchmark database is that database
# (a converter may drop a column or two it cannot type).
SCHEMA_OVERLAP = 0.9
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Benchmark:
    key: str
    label: str
    schemas: dict[str, frozenset[str]]
    queries: frozenset[str]


@dataclass
class Contamination:
    """The seeds of one run that belong to one benchmark split."""

    benchmark: Benchmark
    seeds: int = 0
    databases: set[str] = field(default_factory=set)

    def describe(self) -> str:
        return (
            f"{self.seeds} seeds come from {self.benchmark.label} "
            f"({len(self.databases)} of its {len(self.benchmark.schemas)} databases): "
            f"data generated from them contaminates {self.benchmark.label}; do not evaluate "
            "a model trained on it there"
        )


def query_digest(sql: str) -> str:
    """16 hex digits of a query with case, spacing and the final ';' normalised away."""
    text = _SPACE.sub(" ", sql.strip().rstrip(";").strip().lower())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tables_json_columns(entry: Mapping[str, Any]) -> frozenset[str]:
    """`table.column` of a Spider-style tables.json entry, case-folded."""
    tables = entry.get("table_names_original") or entry["table_names"]
    columns = entry.get("column_names_original") or entry["column_names"]
    return frozenset(
        f"{tables[index]}.{name}".lower() for index, name in columns if int(index) >= 0
    )


@lru_cache(maxsize=1024)
def ddl_columns(ddl: str) -> frozenset[str]:
    """`table.column` of every CREATE TABLE in a DDL text (any of the three dialects)."""
    found: set[str] = set()
    for dialect in ("sqlite", "postgres", "mysql"):
        try:
            statements = sqlglot.parse(ddl, read=dialect)
        except SqlglotError:
            continue
        for statement in statements:
            if not isinstance(statement, exp.Create) or not isinstance(statement.this, exp.Schema):
                continue
            table = statement.this.this.name.lower()
            for column in statement.this.expressions:
                if isinstance(column, exp.ColumnDef):
                    found.add(f"{table}.{column.name.lower()}")
        return frozenset(found)
    return frozenset(found)


def build_fingerprints(data_dir: Path) -> dict[str, Any]:
    """The fingerprint document of the splits under `data_dir` (the layout of shared/data)."""
    spider_dev = json.loads((data_dir / "spider" / "dev.json").read_text(encoding="utf-8"))
    spider_tables = json.loads((data_dir / "spider" / "tables.json").read_text(encoding="utf-8"))
    dev_dbs = {item["db_id"] for item in spider_dev}
    bird = data_dir / "bird_minidev"
    bird_tables = json.loads((bird / "dev_tables.json").read_text(encoding="utf-8"))
    bird_sql = [
        item["SQL"]
        for name in ("mini_dev_sqlite", "mini_dev_mysql", "mini_dev_postgresql")
        for item in json.loads((bird / f"{name}.json").read_text(encoding="utf-8"))
    ]
    return {
        "spider-dev": _fingerprint(
            "Spider dev",
            [t for t in spider_tables if t["db_id"] in dev_dbs],
            [item["query"] for item in spider_dev],
        ),
        "bird-dev": _fingerprint("BIRD dev", bird_tables, bird_sql),
    }


def _fingerprint(label: str, tables: list[dict[str, Any]], queries: list[str]) -> dict[str, Any]:
    return {
        "label": label,
        "schemas": {t["db_id"]: sorted(tables_json_columns(t)) for t in sorted(tables, key=_db)},
        "queries": sorted({query_digest(q) for q in queries}),
    }


def _db(entry: dict[str, Any]) -> str:
    return str(entry["db_id"])


@lru_cache(maxsize=1)
def load_benchmarks() -> tuple[Benchmark, ...]:
    document = json.loads(BENCHMARKS_FILE.read_text(encoding="utf-8"))
    return tuple(
        Benchmark(
            key=key,
            label=entry["label"],
            schemas={db: frozenset(cols) for db, cols in entry["schemas"].items()},
            queries=frozenset(entry["queries"]),
        )
        for key, entry in sorted(document.items())
    )


def match_seed(seed: SeedEvent) -> tuple[Benchmark, str | None] | None:
    """The benchmark a seed belongs to and the database it matched (None when only its query
    did), else None."""
    digest = query_digest(seed.sql)
    columns = ddl_columns(seed.schema_ddl) if seed.schema_ddl else frozenset()
    for benchmark in load_benchmarks():
        database = _matching_schema(benchmark, columns)
        if database is not None:
            return benchmark, database
        if digest in benchmark.queries:
            return benchmark, None
    return None


def _matching_schema(benchmark: Benchmark, columns: frozenset[str]) -> str | None:
    if not columns:
        return None
    for database, known in benchmark.schemas.items():
        shared = len(columns & known)
        if shared and shared / len(columns | known) >= SCHEMA_OVERLAP:
            return database
    return None


def find_contamination(seeds: Iterable[SeedEvent]) -> list[Contamination]:
    """Per benchmark split, the seeds of a run that come from it."""
    found: dict[str, Contamination] = {}
    for seed in seeds:
        matched = match_seed(seed)
        if matched is None:
            continue
        benchmark, database = matched
        entry = found.setdefault(benchmark.key, Contamination(benchmark))
        entry.seeds += 1
        if database is not None:
            entry.databases.add(database)
    return [found[key] for key in sorted(found)]
