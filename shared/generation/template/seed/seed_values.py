"""Where a seed fixture's values come from, and the privacy scrub they pass on the way in.

Values reach a seed schema from four places: rows sampled from the user's database (INSERTs
after `DATABASE_MARKER` in the seed DDL, written by `shared.ingest.value_source`), the seed's
own INSERT rows, literals of the seeds' SQL, and example values in the schema's comments. Each
value keeps its origin, so a record can say per column where its values came from.

Every sampled text value passes the ingest scrubber (`shared.ingest.scrub_values`): a value
that looks like an e-mail, phone, card, IBAN, secret token or a person's full name is removed
and counted — except the database's rows when the user opted out (`UNSCRUBBED_MARKER`,
written by `--no-scrub-values`). When most of a column's values were personal, the column
becomes a generated column of the same kind (Faker e-mails and names, phone- and card-shaped
codes), so the fixture still looks like the user's data without holding any of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from proto.sample import Scalar, ValueSource
from shared.generation.template.instance.schema_instance import SchemaInstance
from shared.generation.template.schema.schema_model import Column, ColumnType, Domain, ValueKind
from shared.generation.template.seed.seed_comments import harvest_comments
from shared.generation.template.seed.seed_kinds import Shape
from shared.generation.template.seed.seed_parse import (
    Evidence,
    RawSchema,
    Values,
    add_value,
    harvest,
    parse_ddl,
)
from shared.ingest.scrub_values import classify_sample, is_name_part_column
from shared.ingest.value_source import DATABASE_MARKER, UNSCRUBBED_MARKER

__all__ = [
    "DATABASE_MARKER",
    "Harvested",
    "column_sources",
    "domain_value_sources",
    "harvest_values",
    "instance_value_sources",
    "scrubbed_shape",
]

Key = tuple[str, str]

# What a scrubbed column becomes: generated values of the same kind, none of them real.
_REPLACEMENTS: dict[str, Shape] = {
    "email": Shape(ColumnType.TEXT, ValueKind.EMAIL),
    "name": Shape(ColumnType.TEXT, ValueKind.PERSON_NAME),
    "phone": Shape(ColumnType.TEXT, ValueKind.CODE, pattern="555-###-####"),
    # A masked card number, as receipts print it: never a Luhn-valid number.
    "card": Shape(ColumnType.TEXT, ValueKind.CODE, pattern="****-****-****-####"),
    # The check digits 00 never pass ISO 7064, so a generated IBAN cannot be a real one.
    "iban": Shape(ColumnType.TEXT, ValueKind.CODE, pattern="XX00 TEST #### ####"),
    "token": Shape(ColumnType.TEXT, ValueKind.CODE, pattern="tok_test_????????"),
}
_FAKER_KINDS = frozenset({ValueKind.PERSON_NAME, ValueKind.COMPANY_NAME, ValueKind.EMAIL})
_LIST_KINDS = frozenset({ValueKind.CITY, ValueKind.COUNTRY})


@dataclass
class Harvested:
    """The seed's example values with their origins, and what the privacy scrub removed."""

    evidence: Evidence
    origins: dict[Key, dict[Scalar, ValueSource]] = field(default_factory=dict)
    scrubbed: dict[Key, Counter[str]] = field(default_factory=dict)

    @property
    def values(self) -> Values:
        return self.evidence.values

    def scrubbed_total(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for kinds in self.scrubbed.values():
            total.update(kinds)
        return dict(sorted(total.items()))


def harvest_values(ddl: str, raw: RawSchema, examples: Iterable[str]) -> Harvested:
    """Every example value of the seed, in the order the fixture prefers them (database rows,
    seed rows, SQL literals, comments), each with its origin, scrubbed."""
    schema_text, _, database_text = ddl.partition(DATABASE_MARKER)
    database_inserts = parse_ddl(database_text).inserts if database_text else []
    from_database = harvest(RawSchema(tables=raw.tables, inserts=database_inserts), ()).values
    from_rows = harvest(RawSchema(tables=raw.tables, inserts=raw.inserts), ()).values
    evidence = harvest(raw, examples)
    before_comments = {key: list(found) for key, found in evidence.values.items()}
    # After the seeds' literals, so the values the seeds query come first.
    harvest_comments(schema_text, evidence.values, add_value)
    found = Harvested(evidence)
    for key, values in evidence.values.items():
        found.origins[key] = {
            value: _origin(value, key, from_database, from_rows, before_comments)
            for value in values
        }
    _scrub(found, keep_database=UNSCRUBBED_MARKER in database_text)
    return found


def _origin(
    value: Scalar, key: Key, database: Values, rows: Values, literals: Values
) -> ValueSource:
    if value in database.get(key, ()):
        return ValueSource.DATABASE
    if value in rows.get(key, ()):
        return ValueSource.SEED_ROWS
    if value in literals.get(key, ()):
        return ValueSource.SEED_LITERALS
    return ValueSource.SCHEMA_COMMENT


def _scrub(found: Harvested, *, keep_database: bool) -> None:
    for key, values in found.values.items():
        kept: list[Scalar] = []
        origins = found.origins.get(key, {})
        for value in values:
            opted_out = keep_database and origins.get(value) is ValueSource.DATABASE
            personal = isinstance(value, str) and not opted_out
            kind = classify_sample(value) if personal and isinstance(value, str) else None
            if kind is None and personal and _name_part(key[1], origins.get(value)):
                kind = "name_part"
            if kind is None:
                kept.append(value)
            else:
                found.scrubbed.setdefault(key, Counter())[kind.strip("<>")] += 1
        values[:] = kept


def _name_part(column: str, origin: ValueSource | None) -> bool:
    """A first or last name in a row of the user's data ('Nora' | 'Stoltenberg'): no single
    value looks like a full name, but the row puts the person back together. Names the seeds'
    SQL quotes (`first_name = 'Barbara'`) are the query's, not a row's, and stay. (Database rows
    arrive scrubbed by ingest already; this covers the seed's own INSERT rows.)"""
    return origin in (ValueSource.DATABASE, ValueSource.SEED_ROWS) and is_name_part_column(column)


def scrubbed_shape(shape: Shape, scrubbed: Counter[str] | None, kept: int) -> Shape:
    """The column's shape once personal values were removed: a generated column of the
    scrubbed kind when they were most of its values, else the shape as it was."""
    if not scrubbed or shape.type is not ColumnType.TEXT:
        return shape
    kind, count = scrubbed.most_common(1)[0]
    replacement = _REPLACEMENTS.get(kind)
    if replacement is None or count <= kept:
        return shape
    return replacement


def column_sources(
    column: Column, origins: dict[Scalar, ValueSource] | None, *, key: bool, catalogue: bool
) -> list[ValueSource]:
    """Where a column's generated values come from, most specific first."""
    if key or column.kind in (ValueKind.ID, ValueKind.FOREIGN_KEY):
        # A text key's real codes (seed_types.real_key_codes) keep their origin.
        known = origins or {}
        real = {known[value] for value in column.values if value in known}
        return [*sorted(real, key=list(ValueSource).index), ValueSource.KEY]
    if column.values or column.fake is not None:
        fallback = ValueSource.CATALOGUE if catalogue else ValueSource.WORD_LIST
        found = {(origins or {}).get(value, fallback) for value in column.values}
        # Faker completes a seed column its example values do not fill (seed_fakes.py).
        found |= {ValueSource.FAKER} if column.fake is not None else set()
        return sorted(found, key=lambda source: list(ValueSource).index(source))
    if column.kind in _FAKER_KINDS:
        return [ValueSource.FAKER]
    if column.kind in _LIST_KINDS:
        return [ValueSource.WORD_LIST]
    if column.kind is ValueKind.CODE:
        return [ValueSource.PATTERN]
    return [ValueSource.RANGE]


def domain_value_sources(domain: Domain) -> dict[str, list[ValueSource]]:
    """Per "table.column" of the domain, where its values come from."""
    recorded = dict(domain.seed.value_sources) if domain.seed is not None else {}
    found: dict[str, list[ValueSource]] = {}
    for table in domain.tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if name in recorded:
                found[name] = list(recorded[name])
            elif domain.seed is None or column.name == table.primary_key:
                found[name] = column_sources(
                    column,
                    None,
                    key=column.name == table.primary_key,
                    catalogue=domain.seed is None,
                )
    return found


def instance_value_sources(instance: SchemaInstance) -> dict[str, list[ValueSource]]:
    """`domain_value_sources` for the columns the instance's rows show (a seed table's
    synthetic key is the engine's, never in the draft)."""
    shown = {f"{rows.table}.{column}" for rows in instance.rows for column in rows.columns}
    found = domain_value_sources(instance.domain)
    return {name: sources for name, sources in found.items() if name in shown}
