"""Rows sampled from the user's database, so a seeded fixture holds the values the real one does.

`sqlsynth run --seeds FILE --values-from SOURCE` reads up to `SAMPLE_ROWS` rows of every seed
table that SOURCE holds and appends them to the seed's DDL as INSERTs after
`DATABASE_MARKER`, where the template engine reads them as values of origin "database". SOURCE
is a SQLite file, a folder of SQLite databases laid out as Spider's and BIRD's
(`<db_id>/<db_id>.sqlite`, matched by each seed's database id), or a PostgreSQL / MySQL DSN.

Every text value passes the privacy scrub here, before it is written anywhere: a personal value
becomes its placeholder ('<email>', '<name>'), which the engine counts and replaces with a
generated value of the same kind. The raw value never reaches a message, a record or a log —
unless the user opts out (`--no-scrub-values`, `scrub=False`): then the values are written as
sampled, after `UNSCRUBBED_MARKER`, which tells the template engine not to scrub them either
(the seed's own rows, literals and comments are still scrubbed).
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import asyncpg

from proto.seed import SeedEvent
from shared.datasets.contamination import ddl_columns
from shared.errors import EngineUnavailable
from shared.ingest.catalog import connect_mysql, redact
from shared.ingest.scrub_values import NAME_PART, classify_sample, is_name_part_column

# The line before the INSERTs sampled here; the template engine's seed_values.py reads the
# rows after it as values of origin "database".
DATABASE_MARKER = "-- sqlsynth: rows sampled from the database"
# The line after DATABASE_MARKER when the user opted out of the scrub (`--no-scrub-values`).
UNSCRUBBED_MARKER = "-- sqlsynth: not scrubbed (--no-scrub-values)"
SAMPLE_ROWS = 30
# Rows read before the sample is drawn: a spread of the table, not only its first rows.
READ_ROWS = 400
Cell = str | int | float | None


@dataclass
class SampledTable:
    table: str
    columns: list[str]
    rows: list[list[Cell]]


@dataclass
class ValueReport:
    """What `attach_database_values` did: seeds given rows, tables sampled, values scrubbed."""

    seeds: int = 0
    tables: int = 0
    scrubbed: int = 0
    # False when the user opted out of the scrub (`--no-scrub-values`).
    scrub: bool = True
    # Database ids no SQLite file was found for.
    missing: set[str] = field(default_factory=set)

    @property
    def problems(self) -> list[str]:
        if not self.missing:
            return []
        names = ", ".join(sorted(self.missing)[:5])
        more = ", ..." if len(self.missing) > 5 else ""
        return [f"no SQLite database for {len(self.missing)} database ids ({names}{more})"]


def wanted_tables(ddl: str) -> dict[str, list[str]]:
    """Table -> columns (lower-cased) the seed's DDL declares."""
    found: dict[str, list[str]] = defaultdict(list)
    for name in sorted(ddl_columns(ddl)):
        table, _, column = name.partition(".")
        found[table].append(column)
    return dict(found)


def read_sqlite(path: Path, wanted: dict[str, list[str]]) -> list[SampledTable]:
    """Rows of the wanted tables and columns a SQLite file holds (opened read-only)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise EngineUnavailable(f"cannot open {path}: {exc}") from exc
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out: list[SampledTable] = []
        for table in names:
            columns = wanted.get(table.lower())
            if not columns:
                continue
            present = [r[1] for r in conn.execute(f"PRAGMA table_info({_q(table)})")]
            chosen = [c for c in present if c.lower() in columns]
            if not chosen:
                continue
            sql = f"SELECT {', '.join(map(_q, chosen))} FROM {_q(table)} LIMIT {READ_ROWS}"
            rows = [list(r) for r in conn.execute(sql)]
            out.append(SampledTable(table, chosen, rows))
        return out
    except sqlite3.Error as exc:
        raise EngineUnavailable(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()


async def read_server(dsn: str, wanted: dict[str, list[str]]) -> list[SampledTable]:
    """The same from a PostgreSQL (schema `public`) or MySQL database."""
    scheme = urlparse(dsn).scheme.lower()
    if scheme in ("postgres", "postgresql"):
        return await _read_postgres(dsn, wanted)
    if scheme in ("mysql", "mariadb"):
        return await _read_mysql(dsn.replace("mariadb://", "mysql://", 1), wanted)
    raise ValueError(f"--values-from: {redact(dsn)} is neither a file nor a postgres/mysql DSN")


async def _read_postgres(dsn: str, wanted: dict[str, list[str]]) -> list[SampledTable]:
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise EngineUnavailable(f"cannot read values from {redact(dsn)}: {exc}") from exc
    try:
        catalogue = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
        out: list[SampledTable] = []
        for table, chosen in _present(wanted, [(r[0], r[1]) for r in catalogue]).items():
            sql = f"SELECT {', '.join(map(_q, chosen))} FROM {_q(table)} LIMIT {READ_ROWS}"
            rows = [[_cell(v) for v in r] for r in await conn.fetch(sql)]
            out.append(SampledTable(table, chosen, rows))
        return out
    finally:
        await conn.close()


async def _read_mysql(dsn: str, wanted: dict[str, list[str]]) -> list[SampledTable]:
    conn = await connect_mysql(dsn, "--values-from", "values")
    database = urlparse(dsn).path.lstrip("/")
    try:
        out: list[SampledTable] = []
        async with conn.cursor() as cursor:
            await cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
                (database,),
            )
            catalogue = [(str(t), str(c)) for t, c in await cursor.fetchall()]
            for table, chosen in _present(wanted, catalogue).items():
                columns = ", ".join(f"`{c}`" for c in chosen)
                await cursor.execute(f"SELECT {columns} FROM `{table}` LIMIT {READ_ROWS}")
                rows = [[_cell(v) for v in r] for r in await cursor.fetchall()]
                out.append(SampledTable(table, chosen, rows))
        return out
    finally:
        conn.close()


def _present(
    wanted: dict[str, list[str]], catalogue: Sequence[tuple[str, str]]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for table, column in catalogue:
        if column.lower() in wanted.get(table.lower(), ()):
            found[table].append(column)
    return dict(found)


def _cell(value: object) -> Cell:
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, bytes):
        return None  # binary values are no example of anything a question names
    return str(value)  # dates, decimals: their text form is the literal


def render_inserts(
    tables: list[SampledTable], seed_label: str, *, scrub: bool = True
) -> tuple[str, int]:
    """INSERTs of a deterministic sample of each table's rows, personal values scrubbed unless
    `scrub` is False; the number of values scrubbed."""
    scrubbed = 0
    lines = [DATABASE_MARKER] if scrub else [DATABASE_MARKER, UNSCRUBBED_MARKER]
    for sampled in tables:
        rng = random.Random(f"{seed_label}:{sampled.table}")
        rows = sampled.rows
        if len(rows) > SAMPLE_ROWS:
            rows = rng.sample(rows, SAMPLE_ROWS)
        if not rows:
            continue
        literals: list[str] = []
        for row in rows:
            cells: list[str] = []
            for column, value in zip(sampled.columns, row, strict=False):
                personal = scrub and isinstance(value, str)
                kind = classify_sample(value) if personal and isinstance(value, str) else None
                if kind is None and personal and is_name_part_column(column):
                    kind = NAME_PART
                scrubbed += kind is not None
                cells.append(_literal(kind if kind is not None else value))
            literals.append("(" + ", ".join(cells) + ")")
        columns = ", ".join(map(_q, sampled.columns))
        lines.append(f"INSERT INTO {_q(sampled.table)} ({columns}) VALUES {', '.join(literals)};")
    has_rows = len(lines) > (1 if scrub else 2)
    return ("\n".join(lines) if has_rows else ""), scrubbed


def _literal(value: Cell) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_file_for(source: Path, db_id: str | None) -> Path | None:
    """The SQLite file a seed's values come from: the file itself, or `<db_id>/<db_id>.sqlite`
    (Spider's and BIRD's layout) or `<db_id>.sqlite` inside a folder."""
    if source.is_file():
        return source
    if db_id is None:
        return None
    for candidate in (source / db_id / f"{db_id}.sqlite", source / f"{db_id}.sqlite"):
        if candidate.is_file():
            return candidate
    return None


async def attach_database_values(
    seeds: list[SeedEvent], source: str, *, scrub: bool = True
) -> tuple[list[SeedEvent], ValueReport]:
    """The seeds, each with rows of its tables from `source` appended to its DDL; personal
    values scrubbed unless `scrub` is False (the user's explicit opt-out)."""
    report = ValueReport(scrub=scrub)
    is_server = "://" in source
    path = Path(source)
    if not is_server and not path.exists():
        raise ValueError(f"--values-from {source}: no such file or folder")
    done: dict[tuple[str, str | None], str] = {}
    out: list[SeedEvent] = []
    for seed in seeds:
        ddl = seed.schema_ddl
        if not ddl or DATABASE_MARKER in ddl:
            out.append(seed)
            continue
        key = (ddl, seed.db_id)
        if key not in done:
            done[key] = await _sample_for(ddl, seed.db_id, source, is_server, path, report)
        extra = done[key]
        if extra:
            report.seeds += 1
            seed = seed.model_copy(update={"schema_ddl": ddl.rstrip() + "\n" + extra + "\n"})
        out.append(seed)
    return out, report


async def _sample_for(
    ddl: str, db_id: str | None, source: str, is_server: bool, path: Path, report: ValueReport
) -> str:
    wanted = wanted_tables(ddl)
    if is_server:
        tables = await read_server(source, wanted)
    else:
        found = sqlite_file_for(path, db_id)
        if found is None:
            report.missing.add(db_id or "(none)")
            return ""
        tables = read_sqlite(found, wanted)
    text, scrubbed = render_inserts(tables, db_id or "seed", scrub=report.scrub)
    report.tables += sum(1 for t in tables if t.rows)
    report.scrubbed += scrubbed
    return text
