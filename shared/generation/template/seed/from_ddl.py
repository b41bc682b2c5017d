"""A template Domain from a seed's DDL, so the template engine can write on users' schemas.

`domain_from_ddl` parses CREATE TABLE statements (SQLite, PostgreSQL or MySQL spelling, keys
declared or not, quoted or mixed-case names), maps every column to a portable type and a value
kind, chooses keys and foreign keys (`seed_keys.py` documents the rules), names rows and
tables in words, and collects example values from the DDL's INSERTs and the example SQL.

Identifiers stay exactly the seed's. A name that is not a plain identifier, is reserved on
some engine, or was quoted with upper-case letters is double-quoted wherever it is written
(DDL, INSERTs, queries); names no engine can hold portably (over 63 bytes, quote characters,
control characters, case-insensitive duplicates) drop their column or table with a note. What
cannot be used (views, tables without columns, unsupported types, schema-qualified names) is
dropped with a note; nothing usable raises GenerationError. The same DDL and examples always
give the same Domain (cached by their hash).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

from proto.sample import ValueSource
from shared.errors import GenerationError
from shared.generation.template.schema.catalogue import validate_domain
from shared.generation.template.schema.ddl import RESERVED_WORDS
from shared.generation.template.schema.schema_model import (
    Column,
    ColumnType,
    Domain,
    ForeignKey,
    SeedInfo,
    Table,
    ValueKind,
)
from shared.generation.template.schema.seed_words import (
    CATEGORY_WORDS,
    label_words,
    table_nouns,
    word_set,
    words,
)
from shared.generation.template.seed.seed_keys import UUID, SeedTable, assign_keys
from shared.generation.template.seed.seed_kinds import (
    LABEL_RANK,
    Shape,
    padded_with_words,
    shape_column,
    title_label,
    type_class,
)
from shared.generation.template.seed.seed_locale import country_from_values, infer_country
from shared.generation.template.seed.seed_markup import flag_values
from shared.generation.template.seed.seed_parse import RawSchema, Values, parse_ddl
from shared.generation.template.seed.seed_types import (
    TIMESTAMP_TYPES,
    keep_numeric_keys,
    keep_text_keys,
    real_key_codes,
    seed_sql_type,
)
from shared.generation.template.seed.seed_values import (
    DATABASE_MARKER,
    Harvested,
    column_sources,
    harvest_values,
    scrubbed_shape,
)

__all__ = ["MAX_SEED_TABLES", "SYNTHETIC_KEY", "domain_from_ddl", "seed_digest"]

MAX_SEED_TABLES = 64
# The engine's own key for a table that has none; never written to SQL (see SeedInfo).
SYNTHETIC_KEY = "sqlsynth_key"
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_CHARS = re.compile(r"[\"`\x00-\x1f\x7f]")
# Words in RESERVED_WORDS only because they read ambiguously in questions; every engine takes
# them bare, and quoting an unquoted mixed-case seed name would change its meaning on PostgreSQL.
_BARE_OK = word_set(
    "DATE YEAR MONTH DAY HOUR MINUTE SECOND LEVEL VALUE TEXT COUNT SUM AVG MIN MAX TYPE SIZE "
    "COMMENT PERCENT TOP SESSION ROLE ZONE"
)
QUOTE_WORDS = RESERVED_WORDS - _BARE_OK
_CACHE: OrderedDict[tuple[str, str], Domain | str] = OrderedDict()
_CACHE_SIZE = 512


def seed_digest(ddl: str, example_sql: Sequence[str] = ()) -> str:
    """12 hex digits naming (DDL, examples): the seed schema's id in schema ids."""
    text = "\x00".join([ddl.strip(), *(s.strip() for s in example_sql)])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def domain_from_ddl(ddl: str, *, name: str, example_sql: Sequence[str] = ()) -> Domain:
    """The seed schema as a template Domain (cached); GenerationError when nothing is usable."""
    examples = tuple(s for s in example_sql if s and s.strip())
    key = (seed_digest(ddl, examples), name)
    found = _CACHE.get(key)
    if found is None:
        try:
            found = _convert(ddl, name, examples, key[0])
        except GenerationError as exc:
            found = str(exc)
        _CACHE[key] = found
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    if isinstance(found, str):
        raise GenerationError(found)
    return found


def _convert(ddl: str, name: str, examples: tuple[str, ...], digest: str) -> Domain:
    if not ddl or not ddl.strip():
        raise GenerationError("the seed schema is empty: no CREATE TABLE to write on")
    raw = parse_ddl(ddl)
    notes = list(raw.notes)
    found = harvest_values(ddl, raw, examples)
    evidence, values = found.evidence, found.values
    tables = _usable_tables(raw, values, notes)
    if not tables:
        why = "; ".join(notes[:6]) or "no CREATE TABLE statement found"
        raise GenerationError(f"the seed schema has no table the template engine can use ({why})")
    if len(tables) > MAX_SEED_TABLES:
        raise GenerationError(
            f"the seed schema has {len(tables)} usable tables; at most {MAX_SEED_TABLES} are "
            "supported"
        )
    assign_keys(tables, evidence.joins, notes)
    for table in tables:
        _drop_uuid_values(table, notes)
    built = [t for t in (_build_table(t, found, notes) for t in tables) if t is not None]
    kept = {t.name for t in built}
    built = [_drop_links(t, kept, notes) for t in built]
    declared = {(t.name.lower(), c.name.lower()): c.declared for t in tables for c in t.columns}
    text_keyed = frozenset(t.name for t in tables if t.text_key)
    numbered = {k: v for k, v in declared.items() if k[0] not in {n.lower() for n in text_keyed}}
    built = keep_text_keys(keep_numeric_keys(built, numbered), declared, text_keyed)
    built = real_key_codes(built, values)
    if not built:
        raise GenerationError(
            "the seed schema has no table the template engine can use: " + "; ".join(notes[:6])
        )
    info = SeedInfo(
        digest=digest,
        quoted=_quoted_names(tables),
        synthetic_keys=frozenset(t.name for t in built if t.primary_key == SYNTHETIC_KEY),
        text_keys=frozenset(t.name for t in tables if t.text_key and t.name in kept),
        composite_keys=frozenset(t.name for t in tables if t.composite)
        & frozenset(t.name for t in built if t.unique_together),
        not_null=frozenset(
            (t.name, c.name) for t in tables for c in t.columns if c.not_null or c.primary
        ),
        notes=tuple(notes),
        value_sources=tuple(_sources(built, found)),
        scrubbed=tuple(found.scrubbed_total().items()),
        country=infer_country(ddl.partition(DATABASE_MARKER)[0])
        or country_from_values(found.values.items()),
    )
    domain = Domain(
        name=name,
        description=f"The seed schema {name}: " + ", ".join(t.plural for t in built) + ".",
        tables=tuple(built),
        seed=info,
    )
    problems = validate_domain(domain, tables=(1, MAX_SEED_TABLES), identifiers=False)
    if problems:
        raise GenerationError(
            "the seed schema converts to an unsound domain: " + "; ".join(problems)
        )
    return domain


def _sources(built: list[Table], found: Harvested) -> list[tuple[str, tuple[ValueSource, ...]]]:
    """Per "table.column", where the fixture's values of the column come from."""
    out: dict[str, tuple[ValueSource, ...]] = {}
    for table in built:
        for col in table.columns:
            origins = found.origins.get((table.name.lower(), col.name.lower()))
            key = col.name == table.primary_key
            sources = column_sources(col, origins, key=key, catalogue=False)
            out[f"{table.name}.{col.name}"] = tuple(sources)
    # A link carries its parent's keys: real codes where the parent's are ('BUL', not 'BRE07').
    for table in built:
        for fk in table.foreign_keys:
            parent = next((t for t in built if t.name == fk.ref_table), None)
            if parent is not None and parent.column(parent.primary_key).values:
                out[f"{table.name}.{fk.column}"] = out[f"{parent.name}.{parent.primary_key}"]
    return list(out.items())


def identifier_problem(name: str) -> str | None:
    """Why a seed identifier cannot be written portably, or None."""
    if not name.strip():
        return "an empty name"
    if name != name.strip():
        return "leading or trailing spaces"
    if _BAD_CHARS.search(name):
        return "quote or control characters"
    if "%" in name:
        # MySQL drivers (format paramstyle) read it as a parameter marker in INSERTs.
        return "a '%' (MySQL drivers read it as a parameter marker)"
    if len(name.encode()) > 63:
        return "longer than 63 bytes (PostgreSQL truncates names)"
    if name.lower() == SYNTHETIC_KEY:
        return "the engine's own key name"
    if name.lower().startswith("sqlite_"):
        return "a name SQLite reserves for its own tables"
    return None


def needs_quotes(name: str, seed_quoted: bool) -> bool:
    return (
        not _PLAIN.match(name)
        or name.upper() in QUOTE_WORDS
        or (seed_quoted and name != name.lower())
    )


def _quoted_names(tables: list[SeedTable]) -> frozenset[str]:
    found = {t.name for t in tables if needs_quotes(t.name, t.raw.quoted)}
    found |= {c.name for t in tables for c in t.columns if needs_quotes(c.name, c.quoted)}
    return frozenset(found)


def _usable_tables(raw: RawSchema, values: Values, notes: list[str]) -> list[SeedTable]:
    out: list[SeedTable] = []
    seen: set[str] = set()
    for table in raw.tables:
        problem = identifier_problem(table.name)
        if problem or table.name.lower() in seen:
            notes.append(f"table {table.name!r}: {problem or 'a duplicate name'}; dropped")
            continue
        columns, classes, names = [], {}, set()
        for column in table.columns:
            cls = type_class(column, values.get((table.name.lower(), column.name.lower()), []))
            problem = identifier_problem(column.name)
            if problem is None and column.name.lower() in names:
                problem = "a duplicate name"
            if problem is None and cls is None:
                problem = f"type {column.dtype} is not supported"
            if problem:
                notes.append(f"column {table.name}.{column.name}: {problem}; left out")
                continue
            assert cls is not None
            names.add(column.name.lower())
            columns.append(column)
            classes[column.name] = cls
        if not columns:
            notes.append(f"table {table.name}: no usable column; dropped")
            continue
        seen.add(table.name.lower())
        out.append(SeedTable(table.name, table, columns, classes))
    return out


def _drop_uuid_values(table: SeedTable, notes: list[str]) -> None:
    """A UUID serves as a key or link (compared only with its own kind); as a plain value the
    engine would compare it with text, which PostgreSQL refuses."""
    for col in list(table.columns):
        if table.classes[col.name] == UUID and col.name != table.key and col.name not in table.fks:
            table.columns.remove(col)
            notes.append(f"column {table.name}.{col.name}: a UUID that is no key; left out")


def _build_table(table: SeedTable, found: Harvested, notes: list[str]) -> Table | None:
    noun, plural = table_nouns(table.name)
    shapes: dict[str, Shape] = {}
    for col in table.columns:
        if col.name != table.key and col.name not in table.fks:
            where = (table.name.lower(), col.name.lower())
            seen = found.values.get(where, [])
            timed = col.dtype in TIMESTAMP_TYPES
            cls = table.classes[col.name]
            bare = col.declared.strip().upper() in ("DECIMAL", "NUMERIC")
            shape = shape_column(col.name, cls, noun, seen, col.enum_values, timed=timed, bare=bare)
            shapes[col.name] = scrubbed_shape(shape, found.scrubbed.get(where), len(seen))
    label = _choose_label(table, shapes, noun)
    if label is None:
        notes.append(f"table {table.name}: nothing names its rows (only links); dropped")
        return None
    if label in shapes:
        titled = title_label(shapes[label], label, noun)
        if padded_with_words(titled) and table.key is not None:
            label = table.key
        else:
            shapes[label] = titled
    columns: list[Column] = []
    key = table.key or SYNTHETIC_KEY
    if table.key is None:
        columns.append(Column(key, ColumnType.INTEGER, ValueKind.ID, f"{noun} id"))
    for col in table.columns:
        column = _column(table, col.name, shapes.get(col.name), noun)
        if col.name != table.key and col.name not in table.fks:
            # The seed's own type where every engine holds the values alike (seed_types.py).
            listed = col.name in table.composite
            kept = seed_sql_type(col.declared, column, unique=listed, dtype=col.dtype)
            column = replace(column, sql_type=kept)
        columns.append(column)
    fks = tuple(ForeignKey(c, ref, ref_col) for c, (ref, ref_col) in table.fks.items())
    unique = table.composite
    if not unique and table.key is None and label == "":
        # A link table without a key: its first two links identify a row (rows are
        # generated as distinct pairs, and SQL orders and counts by them).
        unique = tuple(fk.column for fk in fks if fk.ref_table != table.name)[:2]
    return Table(
        name=table.name,
        noun=noun,
        plural=plural,
        columns=tuple(columns),
        primary_key=key,
        foreign_keys=fks,
        label_column=None if label == "" else label,
        unique_together=unique,
    )


def _column(table: SeedTable, name: str, shape: Shape | None, noun: str) -> Column:
    if name == table.key:
        return Column(name, ColumnType.INTEGER, ValueKind.ID, f"{noun} id")
    if name in table.fks:
        parts = words(name)
        base = parts[:-1] if len(parts) > 1 and parts[-1] == "id" else parts
        label = " ".join(base) if base else label_words(name)
        if len(parts) == 1 and parts[0].endswith("id") and len(parts[0]) > 2:
            label = parts[0][:-2]
        nullable = name in table.nullable
        return Column(name, ColumnType.INTEGER, ValueKind.FOREIGN_KEY, label, nullable=nullable)
    assert shape is not None
    return Column(
        name=name,
        type=shape.type,
        kind=shape.kind,
        label=label_words(name),
        values=shape.values,
        low=shape.low,
        high=shape.high,
        pattern=shape.pattern,
        fake=shape.fake,
        date_format=shape.date_format,
    )


def _choose_label(table: SeedTable, shapes: dict[str, Shape], noun: str) -> str | None:
    """The column that names a row; "" for a junction table (2+ links, nothing to name)."""
    ranked = sorted(
        (LABEL_RANK[s.kind], i, n)
        for i, (n, s) in enumerate(shapes.items())
        if s.kind in LABEL_RANK
    )
    if ranked:
        return ranked[0][2]
    if len(table.fks) >= 2:
        return ""
    # A free text column names rows better than the key; a category ('type', 'genre') or an
    # ENUM (whose closed list a name must not leave) only when there is no key.
    texts = [n for n, s in shapes.items() if s.type is ColumnType.TEXT]
    if table.key is not None:
        # Free text names no row ("the post 'Lorem ipsum dolor ...'"): the key does.
        texts = [n for n in texts if shapes[n].kind is not ValueKind.FREE_TEXT]
    enums = {c.name for c in table.columns if c.enum_values}
    # A yes/no flag ('T'/'F') names no row: padded to unique values it would read as nonsense.
    flags = {n for n in texts if flag_values(words(n), list(shapes[n].values)) is not None}
    free = [n for n in texts if n not in enums | flags and not set(words(n)) & CATEGORY_WORDS]
    if free:
        return free[0]
    if table.key is not None:
        return table.key
    texts = [n for n in texts if n not in enums | flags] or [n for n in texts if n not in flags]
    others = [n for n in shapes if n not in flags]
    return texts[0] if texts else next(iter(others or shapes), None)


def _drop_links(table: Table, kept: set[str], notes: list[str]) -> Table:
    """Links to tables dropped after key assignment become plain id columns."""
    keep = tuple(fk for fk in table.foreign_keys if fk.ref_table in kept)
    if len(keep) == len(table.foreign_keys):
        return table
    gone = {fk.column for fk in table.foreign_keys} - {fk.column for fk in keep}
    notes.append(f"table {table.name}: links {sorted(gone)} point at a dropped table")
    columns = tuple(
        Column(c.name, ColumnType.INTEGER, ValueKind.ID, c.label) if c.name in gone else c
        for c in table.columns
    )
    unique = table.unique_together if set(table.unique_together).isdisjoint(gone) else ()
    label = table.label_column
    if label is None and len(keep) < 2:
        plain = [c.name for c in columns if c.name != table.primary_key and c.name not in gone]
        label = (plain or [table.primary_key])[0]
    return Table(
        table.name,
        table.noun,
        table.plural,
        columns,
        table.primary_key,
        keep,
        label,
        unique,
    )
