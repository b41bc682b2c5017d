"""The domain catalogue: YAML files in `domains/` loaded into typed `Domain`s and validated.

A domain file is a mapping `tables: {table_name: {noun, plural?, label?, unique?, columns}}` where
`columns` maps a column name to a kind (`city`) or to a mapping with `kind`, `type`, `label`,
`values`, `low`, `high`, `nullable`, `pattern`, `after`, or `ref: parent_table` for a foreign
key (to the parent's primary key). Defaults keep the files short: the type follows the kind, the
label is the column name in words, the primary key is `id`.
"""

from __future__ import annotations

import graphlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from shared.generation.template.schema.ddl import RESERVED_WORDS, fk_order
from shared.generation.template.schema.schema_model import (
    Column,
    ColumnType,
    Domain,
    ForeignKey,
    Table,
    ValueKind,
)

__all__ = ["CatalogueError", "domain_names", "fk_order", "get_domain", "load_catalogue"]

DOMAINS_DIR = Path(__file__).resolve().parent / "domains"
MIN_TABLES, MAX_TABLES = 3, 8
# A label drawn from a closed list must be able to name the smallest table we generate.
MIN_LABEL_VALUES = 8

_TYPE_BY_KIND: dict[ValueKind, ColumnType] = {
    ValueKind.ID: ColumnType.INTEGER,
    ValueKind.FOREIGN_KEY: ColumnType.INTEGER,
    ValueKind.QUANTITY: ColumnType.INTEGER,
    ValueKind.YEAR: ColumnType.INTEGER,
    ValueKind.RATING: ColumnType.INTEGER,
    ValueKind.ORDINAL: ColumnType.INTEGER,
    ValueKind.MONEY: ColumnType.DECIMAL,
    ValueKind.PERCENT: ColumnType.DECIMAL,
    ValueKind.MEASURE: ColumnType.DECIMAL,
    ValueKind.DATE: ColumnType.DATE,
}
# DECIMAL(12,2) holds ten integer digits; INTEGER is 32-bit on PostgreSQL and MySQL.
# The C loader when libyaml is present (5x faster); both are the safe loader.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TYPE_LIMITS = {ColumnType.DECIMAL: 10**10, ColumnType.INTEGER: 2**31}
_NEEDS_VALUES = {ValueKind.CATEGORY, ValueKind.TITLE}
_COLUMN_KEYS = {
    "kind",
    "type",
    "label",
    "values",
    "low",
    "high",
    "nullable",
    "pattern",
    "after",
    "countries",
}
_TABLE_KEYS = {"noun", "plural", "label", "unique", "columns", "primary_key"}


class CatalogueError(ValueError):
    """A domain file is malformed or inconsistent; the message lists every problem found."""


def load_catalogue() -> dict[str, Domain]:
    """Every domain by name, parsed and validated once per process."""
    return dict(_load_all())


def domain_names() -> list[str]:
    return sorted(_load_all())


def get_domain(name: str) -> Domain:
    domains = _load_all()
    if name not in domains:
        raise KeyError(f"unknown domain {name!r} (known: {', '.join(sorted(domains))})")
    return domains[name]


@cache
def _load_all() -> dict[str, Domain]:
    domains: dict[str, Domain] = {}
    problems: list[str] = []
    for path in sorted(DOMAINS_DIR.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
            domain = parse_domain(yaml.load(text, Loader=_YAML_LOADER))
        except (yaml.YAMLError, CatalogueError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        problems += [f"{path.name}: {p}" for p in validate_domain(domain)]
        if domain.name != path.stem:
            problems.append(f"{path.name}: domain name {domain.name!r} differs from the file name")
        domains[domain.name] = domain
    if problems:
        raise CatalogueError("invalid domain catalogue:\n  " + "\n  ".join(problems))
    return domains


def parse_domain(doc: Any) -> Domain:
    """Build a `Domain` from a parsed YAML document (structure errors raise CatalogueError)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        raise CatalogueError("a domain is a mapping with `name`, `description` and `tables`")
    tables = tuple(_parse_table(name, spec) for name, spec in doc["tables"].items())
    synonyms = {str(k): tuple(str(v) for v in vs) for k, vs in (doc.get("synonyms") or {}).items()}
    return Domain(
        name=str(doc["name"]),
        description=str(doc.get("description", "")).strip(),
        tables=tables,
        synonyms=synonyms,
    )


def _parse_table(name: str, spec: Any) -> Table:
    if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
        raise CatalogueError(f"table {name}: needs a `columns` mapping")
    unknown = set(spec) - _TABLE_KEYS
    if unknown:
        raise CatalogueError(f"table {name}: unknown keys {sorted(unknown)}")
    columns: list[Column] = []
    foreign_keys: list[ForeignKey] = []
    primary_key = str(spec.get("primary_key", "id"))
    noun = str(spec.get("noun", name))
    for col_name, col_spec in spec["columns"].items():
        column, ref = _parse_column(name, str(col_name), col_spec, noun)
        columns.append(column)
        if ref is not None:
            foreign_keys.append(ForeignKey(column.name, ref, "id"))
    return Table(
        name=name,
        noun=noun,
        plural=str(spec.get("plural", name.replace("_", " "))),
        columns=tuple(columns),
        primary_key=primary_key,
        foreign_keys=tuple(foreign_keys),
        label_column=spec.get("label"),
        unique_together=tuple(spec.get("unique", ())),
    )


def _parse_column(table: str, name: str, spec: Any, noun: str) -> tuple[Column, str | None]:
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, dict):
        raise CatalogueError(f"column {table}.{name}: expected a kind or a mapping")
    ref = spec.get("ref")
    unknown = set(spec) - _COLUMN_KEYS - {"ref"}
    if unknown:
        raise CatalogueError(f"column {table}.{name}: unknown keys {sorted(unknown)}")
    kind = ValueKind.FOREIGN_KEY if ref else ValueKind(spec.get("kind", "title"))
    col_type = ColumnType[spec["type"]] if "type" in spec else _TYPE_BY_KIND.get(kind)
    default_label = name.removesuffix("_id").replace("_", " ") if ref else name.replace("_", " ")
    if kind is ValueKind.ID:
        default_label = f"{noun} id"
    column = Column(
        name=name,
        type=col_type or ColumnType.TEXT,
        kind=kind,
        label=str(spec.get("label", default_label)),
        values=tuple(str(v) for v in spec.get("values", ()))
        or tuple(v for v, _ in _value_countries(spec.get("countries"))),
        low=_optional_float(spec.get("low")),
        high=_optional_float(spec.get("high")),
        nullable=bool(spec.get("nullable", False)),
        pattern=spec.get("pattern"),
        after=spec.get("after"),
        value_countries=_value_countries(spec.get("countries")),
    )
    return column, (str(ref) if ref else None)


def _value_countries(spec: Any) -> tuple[tuple[str, str], ...]:
    """`countries: {Country: [value, ...]}` as (value, country) pairs."""
    if spec is None:
        return ()
    if not isinstance(spec, dict):
        raise CatalogueError("`countries` maps a country to the values that belong to it")
    return tuple((str(v), str(country)) for country, vs in spec.items() for v in vs)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def validate_domain(
    domain: Domain,
    *,
    tables: tuple[int, int] = (MIN_TABLES, MAX_TABLES),
    identifiers: bool = True,
) -> list[str]:
    """Every inconsistency in a domain, as readable sentences (empty when the domain is sound).

    Domains built from a seed's DDL pass their own table range and skip the identifier rule:
    they keep the seed's names and quote them where needed (`from_ddl.py`)."""
    problems: list[str] = []
    low, high = tables
    if not low <= len(domain.tables) <= high:
        problems.append(f"has {len(domain.tables)} tables; a domain needs {low} to {high}")
    names = [t.name for t in domain.tables]
    if len(set(names)) != len(names):
        problems.append("table names repeat")
    for table in domain.tables:
        problems += _validate_table(domain, table)
    if identifiers:
        problems += _validate_identifiers(domain)
    if not problems:
        try:
            fk_order(domain)
        except graphlib.CycleError as exc:
            problems.append(f"foreign keys form a cycle: {exc.args[1]}")
    return problems


def _validate_table(domain: Domain, table: Table) -> list[str]:
    where = f"table {table.name}"
    problems: list[str] = []
    col_names = [c.name for c in table.columns]
    if len(set(col_names)) != len(col_names):
        problems.append(f"{where}: column names repeat")
    if table.primary_key not in col_names:
        problems.append(f"{where}: primary key {table.primary_key!r} is not a column")
    elif table.column(table.primary_key).kind is not ValueKind.ID:
        problems.append(f"{where}: primary key must have kind `id`")
    if table.label_column is None:
        if len(table.foreign_keys) < 2:
            problems.append(f"{where}: only junction tables (2+ foreign keys) may lack a label")
    elif table.label_column not in col_names:
        problems.append(f"{where}: label column {table.label_column!r} is not a column")
    else:
        label = table.column(table.label_column)
        enough = len(set(label.values)) >= MIN_LABEL_VALUES or label.fake is not None
        if label.kind in _NEEDS_VALUES and not enough:
            problems.append(f"{where}: label {label.name} needs {MIN_LABEL_VALUES}+ values")
    for col in table.unique_together:
        if col not in col_names:
            problems.append(f"{where}: unique column {col!r} is not a column")
    for column in table.columns:
        problems += [f"{where}.{column.name}: {p}" for p in _validate_column(table, column)]
    for fk in table.foreign_keys:
        problems += _validate_fk(domain, table, fk)
    return problems


def _validate_column(table: Table, column: Column) -> list[str]:
    problems: list[str] = []
    if column.kind in _NEEDS_VALUES and not column.values and column.fake is None:
        problems.append(f"kind {column.kind.value} needs `values`")
    if column.kind is ValueKind.CODE and not column.pattern:
        problems.append("kind code needs a `pattern`")
    if column.low is not None and column.high is not None and column.low > column.high:
        problems.append("low is above high")
    limit = _TYPE_LIMITS.get(column.type)
    if limit is not None and column.kind is not ValueKind.DATE and (column.high or 0) >= limit:
        problems.append(f"high {column.high} does not fit {column.type.value}")
    if column.after is not None:
        names = [c.name for c in table.columns]
        if column.kind is not ValueKind.DATE:
            problems.append("`after` is only for dates")
        elif column.after not in names or names.index(column.after) >= names.index(column.name):
            problems.append(f"`after` must name an earlier date column, not {column.after!r}")
    if column.kind is ValueKind.FOREIGN_KEY and not any(
        fk.column == column.name for fk in table.foreign_keys
    ):
        problems.append("kind foreign_key needs `ref`")
    return problems


def _validate_fk(domain: Domain, table: Table, fk: ForeignKey) -> list[str]:
    where = f"table {table.name}: foreign key {fk.column} -> {fk.ref_table}"
    try:
        parent = domain.table(fk.ref_table)
    except KeyError:
        return [f"{where}: no such table"]
    problems: list[str] = []
    if fk.ref_column != parent.primary_key:
        problems.append(f"{where}: must reference the primary key {parent.primary_key}")
    if fk.ref_table == table.name and not table.column(fk.column).nullable:
        problems.append(f"{where}: a self reference must be nullable (the first row has none)")
    return problems


def _validate_identifiers(domain: Domain) -> list[str]:
    problems: list[str] = []
    idents = [(t.name, t.name) for t in domain.tables] + [
        (f"{t.name}.{c.name}", c.name) for t in domain.tables for c in t.columns
    ]
    for where, ident in idents:
        if not ident.isidentifier() or ident != ident.lower() or not ident.isascii():
            problems.append(f"{where}: identifiers are lower-case snake_case ASCII")
        elif ident.upper() in RESERVED_WORDS:
            problems.append(f"{where}: {ident!r} is a reserved word on some engine")
    return problems
