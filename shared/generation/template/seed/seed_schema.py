"""Schema instances of seed domains: the seed's tables and names, portable types, generated rows.

The DDL keeps the seed's table and column names (quoted where `SeedInfo.quoted` says), its
column order, its NOT NULL marks, its keys (declared or inferred) and foreign keys; types are
the seed's own where every engine holds the values alike, else the four portable ones
(`seed_types.py`). A table without a key in the seed has none in the DDL either: the
engine's synthetic key is in `store_rows` only, and `seed_problem` rejects any statement that
would read it. Schema ids are `seed-<digest>#<variant>`.
"""

from __future__ import annotations

from collections import OrderedDict

from proto.sample import Blueprint, TableRows
from shared.generation.template.instance.rows import generate_rows
from shared.generation.template.instance.schema_instance import SchemaInstance
from shared.generation.template.schema.ddl import fk_order, quote_name
from shared.generation.template.schema.schema_model import ColumnType, Domain, SeedInfo, Table
from shared.generation.template.seed.from_ddl import SYNTHETIC_KEY, domain_from_ddl, seed_digest
from shared.generation.template.sql import ir

__all__ = [
    "SEED_PREFIX",
    "build_seed_schema",
    "seed_ddl_statements",
    "seed_domain",
    "seed_problem",
    "seed_schema_id",
]

SEED_PREFIX = "seed-"
_INSTANCES: OrderedDict[tuple[str, str, int], SchemaInstance] = OrderedDict()
_CACHE_SIZE = 256


def seed_domain(blueprint: Blueprint) -> Domain:
    """The domain of a blueprint's seed schema; the SQL of the schema's seeds (or of its own
    seed) serves as the example of values."""
    assert blueprint.seed_schema, "only blueprints with a seed schema"
    examples: tuple[str, ...] = tuple(blueprint.seed_examples)
    if not examples and blueprint.seed_sql:
        examples = (blueprint.seed_sql,)
    name = SEED_PREFIX + seed_digest(blueprint.seed_schema, examples)
    return domain_from_ddl(blueprint.seed_schema, name=name, example_sql=examples)


def seed_schema_id(domain: Domain, variant: int) -> str:
    return f"{domain.name}#{variant}"


def build_seed_schema(domain: Domain, variant: int = 0) -> SchemaInstance:
    """The instance for (seed domain, variant): deterministic and cached."""
    info = _info(domain)
    key = (info.digest, domain.name, variant)
    found = _INSTANCES.get(key)
    if found is None:
        rows = generate_rows(domain, variant)
        public = tuple(_public(domain, info, r) for r in rows)
        found = SchemaInstance(
            domain=domain,
            variant=variant,
            ddl="\n".join(f"{stmt};" for stmt in seed_ddl_statements(domain)),
            rows=public,
            schema_id=seed_schema_id(domain, variant),
            store_rows=rows if public != rows else (),
        )
        _INSTANCES[key] = found
        while len(_INSTANCES) > _CACHE_SIZE:
            _INSTANCES.popitem(last=False)
    _INSTANCES.move_to_end(key)
    return found


def seed_ddl_statements(domain: Domain) -> list[str]:
    """CREATE TABLE statements (parents first) without ';'."""
    info = _info(domain)
    return [_create_table(t, info) for t in fk_order(domain)]


def _create_table(table: Table, info: SeedInfo) -> str:
    def q(name: str) -> str:
        return quote_name(name, info.quoted)

    parts: list[str] = []
    synthetic = table.name in info.synthetic_keys
    for col in table.columns:
        if col.name == table.primary_key:
            if not synthetic:
                # INTEGER unless the seed's key type is kept (a bare NUMERIC, seed_types.py).
                key_type = col.sql_type or ColumnType.INTEGER.value
                parts.append(f"{q(col.name)} {key_type} PRIMARY KEY")
            continue
        declared = (table.name, col.name) in info.not_null
        null = " NOT NULL" if declared and not col.nullable else ""
        parts.append(f"{q(col.name)} {col.ddl_type}{null}")
    if table.unique_together:
        cols = ", ".join(q(c) for c in table.unique_together)
        keyword = "PRIMARY KEY" if table.name in info.composite_keys and synthetic else "UNIQUE"
        parts.append(f"{keyword} ({cols})")
    for fk in table.foreign_keys:
        parts.append(
            f"FOREIGN KEY ({q(fk.column)}) REFERENCES {q(fk.ref_table)} ({q(fk.ref_column)})"
        )
    return f"CREATE TABLE {q(table.name)} ({', '.join(parts)})"


def _public(domain: Domain, info: SeedInfo, rows: TableRows) -> TableRows:
    if rows.table not in info.synthetic_keys:
        return rows
    at = rows.columns.index(domain.table(rows.table).primary_key)
    return TableRows(
        table=rows.table,
        columns=[c for i, c in enumerate(rows.columns) if i != at],
        values=[[v for i, v in enumerate(r) if i != at] for r in rows.values],
    )


def seed_problem(domain: Domain, statement: ir.Statement, sql: str) -> str | None:
    """Why a statement must not be used on a seed schema, or None: it reads the engine's
    synthetic key (absent from the seed), or INSERTs into a table whose seed key is text
    (the INSERT shifts keys by arithmetic)."""
    info = domain.seed
    if info is None:
        return None
    if info.synthetic_keys and SYNTHETIC_KEY in sql:
        return "reads a key column the seed schema does not have"
    if isinstance(statement, ir.Insert) and statement.table in info.text_keys:
        return f"INSERT into {statement.table}, whose key is not a number in the seed"
    return None


def _info(domain: Domain) -> SeedInfo:
    if domain.seed is None:
        raise ValueError(f"domain {domain.name} was not built from a seed schema")
    return domain.seed
