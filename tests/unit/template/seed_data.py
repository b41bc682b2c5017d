"""Real seed schemas for the from-DDL tests: Gretel `sql_context`s, Spider databases (DDL built
from tables.json), BIRD mini-dev DDL files, and DDL inferred from real query logs."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.ingest.schema_infer import infer_schema
from shared.ingest.schema_render import render_ddl

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Seed:
    source: str
    name: str
    ddl: str
    examples: tuple[str, ...] = ()


def _quote(name: str) -> str:
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'


@cache
def gretel_seeds() -> tuple[Seed, ...]:
    path = DATA / "gretel" / "gretel_sample_1000.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(Seed("gretel", f"gretel_{row['row']}", row["sql_context"], (row["sql"],)))
    return tuple(out)


def table_count(ddl: str) -> int:
    return len(re.findall(r"\bCREATE\s+TABLE\b", ddl, re.IGNORECASE))


def spider_ddl(db: dict[str, object]) -> str:
    """CREATE TABLEs of a Spider database from tables.json: its original names, its types
    ('number' is INTEGER for key columns, REAL otherwise), primary and foreign keys."""
    tables: list[str] = db["table_names_original"]  # type: ignore[assignment]
    columns: list[list[object]] = db["column_names_original"]  # type: ignore[assignment]
    types: list[str] = db["column_types"]  # type: ignore[assignment]
    pks = [p for k in db["primary_keys"] for p in (k if isinstance(k, list) else [k])]  # type: ignore[attr-defined]
    fks: list[list[int]] = db["foreign_keys"]  # type: ignore[assignment]
    keyed = set(pks) | {c for pair in fks for c in pair}
    sql_type = {"text": "TEXT", "time": "DATETIME", "boolean": "BOOLEAN", "others": "TEXT"}
    statements = []
    for t, table in enumerate(tables):
        parts = []
        for c, (owner, name) in enumerate(columns):
            if owner != t:
                continue
            kind = types[c]
            typ = ("INTEGER" if c in keyed else "REAL") if kind == "number" else sql_type[kind]
            parts.append(f"{_quote(str(name))} {typ}")
        own_pks = [c for c in pks if columns[c][0] == t]
        if own_pks:
            parts.append(f"PRIMARY KEY ({', '.join(_quote(str(columns[c][1])) for c in own_pks)})")
        for child, parent in fks:
            if columns[child][0] == t:
                ref_table = tables[int(columns[parent][0])]  # type: ignore[call-overload]
                parts.append(
                    f"FOREIGN KEY ({_quote(str(columns[child][1]))}) REFERENCES "
                    f"{_quote(ref_table)} ({_quote(str(columns[parent][1]))})"
                )
        statements.append(f"CREATE TABLE {_quote(table)} (\n  " + ",\n  ".join(parts) + "\n);")
    return "\n".join(statements)


@cache
def spider_seeds() -> tuple[Seed, ...]:
    dbs = json.loads((DATA / "spider" / "tables.json").read_text(encoding="utf-8"))
    questions = json.loads((DATA / "spider" / "dev.json").read_text(encoding="utf-8"))
    by_db: dict[str, list[str]] = {}
    for q in questions:
        by_db.setdefault(q["db_id"], []).append(q["query"])
    return tuple(
        Seed("spider", db["db_id"], spider_ddl(db), tuple(by_db.get(db["db_id"], [])[:3]))
        for db in dbs
    )


@cache
def bird_seeds() -> tuple[Seed, ...]:
    questions = json.loads(
        (DATA / "bird_minidev" / "mini_dev_sqlite.json").read_text(encoding="utf-8")
    )
    by_db: dict[str, list[str]] = {}
    for q in questions:
        by_db.setdefault(q["db_id"], []).append(q["SQL"])
    out = []
    for path in sorted((DATA / "bird_minidev" / "schemas").glob("*.sql")):
        ddl = path.read_text(encoding="utf-8")
        out.append(Seed("bird", path.stem, ddl, tuple(by_db.get(path.stem, [])[:3])))
    return tuple(out)


@cache
def querylog_seeds() -> tuple[Seed, ...]:
    """DDL that `shared.ingest.schema_infer` infers from the two real query logs."""
    logs = DATA / "querylogs"
    with (logs / "googleplus_queries.csv").open(encoding="utf-8") as fh:
        mobile = [row["query"] for row in csv.DictReader(fh, delimiter="\t")]
    with (logs / "sdss_runtime.csv").open(encoding="utf-8") as fh:
        sdss = [row["SQL_Statement"] for row in csv.DictReader(fh)]
    out = []
    for name, statements, dialect in (("googleplus", mobile, "sqlite"), ("sdss", sdss, "tsql")):
        schema = infer_schema(statements, dialect)
        out.append(Seed("querylog", name, render_ddl(schema), tuple(statements[:3])))
    return tuple(out)
