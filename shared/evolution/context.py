"""What the operators read: the schema (kinds of columns, foreign keys), the record's rows in an
in-memory SQLite database (values to filter on, and a trial run of every candidate), and a view
of the query's outermost SELECT."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from enum import StrEnum

import inflect
from sqlglot import exp

from proto.sample import Scalar, TableRows
from shared.sense.fixture_db import FixtureError, open_fixture, reset_budget
from shared.sense.record import SchemaInfo, SenseInput, read_schema

Row = tuple[Scalar, ...]


class Kind(StrEnum):
    """What a column can be used for: keys are never filtered, summed or ranked on."""

    KEY = "key"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    OTHER = "other"


_NUMBER_TYPES = ("INT", "DEC", "NUMERIC", "REAL", "FLOAT", "DOUBLE")


def kind_of(info: SchemaInfo, table: str, column: str) -> Kind:
    declared = info.type_of(table, column)
    if info.is_primary_key(table, column) or info.foreign_key(table, column) is not None:
        return Kind.KEY
    if column == "id" or column.endswith("_id"):
        return Kind.KEY
    if "DATE" in declared or "TIME" in declared:
        return Kind.DATE
    if any(t in declared for t in _NUMBER_TYPES):
        return Kind.NUMBER
    if "CHAR" in declared or "TEXT" in declared or "CLOB" in declared:
        return Kind.TEXT
    return Kind.OTHER


_INFLECT = inflect.engine()


def words(name: str) -> str:
    """An identifier in words: `unit_price` reads "unit price", `opened_on` "date opened"
    (read as "opened on on or after 2021-09-10" once a date comparison follows)."""
    text = name.replace("_", " ").strip().lower()
    for suffix, lead in ((" on", "date"), (" at", "time")):
        if text.endswith(suffix) and " " in text:
            return f"{lead} {text.removesuffix(suffix)}"
    return text


def singular(noun: str) -> str:
    found = _INFLECT.singular_noun(noun)
    return found if isinstance(found, str) else noun


def owned(noun: str, label: str) -> str:
    """A column named with its table: "research site" + "site name" reads "research site
    name", "warehouse" + "city" reads "warehouse city"."""
    if label.startswith(noun):
        return label
    first, _, rest = label.partition(" ")
    if rest and noun.split()[-1] == first:
        return f"{noun} {rest}"
    return f"{noun} {label}"


@dataclass
class EvolveContext:
    """One record's schema and rows. Close it (or use `with`) to free the SQLite database."""

    info: SchemaInfo
    conn: sqlite3.Connection
    _values: dict[tuple[str, str], list[Scalar]] = field(default_factory=dict)

    @classmethod
    def open(cls, ddl: str, rows: tuple[TableRows, ...]) -> EvolveContext:
        """Raises FixtureError when the schema and rows do not load on SQLite."""
        info = read_schema(ddl)
        conn = open_fixture(SenseInput(question="", sql="", schema_ddl=ddl, rows=rows))
        return cls(info, conn)

    def __enter__(self) -> EvolveContext:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def columns(self, table: str) -> tuple[str, ...]:
        return self.info.facts.columns.get(table, ())

    def kind(self, table: str, column: str) -> Kind:
        return kind_of(self.info, table, column)

    def columns_of(self, table: str, *kinds: Kind) -> list[str]:
        return [c for c in self.columns(table) if self.kind(table, c) in kinds]

    def values(self, table: str, column: str) -> list[Scalar]:
        """Distinct non-null values of a column in the fixture, sorted."""
        key = (table, column)
        if key not in self._values:
            found = self.run(
                f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
            )
            self._values[key] = sorted((r[0] for r in found or []), key=_sort_key)
        return self._values[key]

    def row_count(self, table: str) -> int:
        found = self.run(f'SELECT COUNT(*) FROM "{table}"')
        return int(found[0][0]) if found else 0  # type: ignore[arg-type]

    def categorical(self, table: str, column: str) -> bool:
        """A text column worth filtering on: repeated values, not a unique code or name."""
        distinct = len(self.values(table, column))
        return 2 <= distinct <= max(2, self.row_count(table) // 2)

    def run(self, sql: str) -> list[Row] | None:
        """The rows of `sql` on the fixture (SQLite), or None when it fails."""
        reset_budget(self.conn)
        try:
            return [tuple(r) for r in self.conn.execute(sql).fetchall()]
        except (sqlite3.Error, OverflowError):
            return None

    def children_of(self, table: str) -> list[tuple[str, str, str]]:
        """(child table, child column, parent column) of foreign keys that reference `table`."""
        return [(t, c, rc) for t, c, rt, rc in self.info.facts.foreign_keys if rt == table]

    def parents_of(self, table: str) -> list[tuple[str, str, str]]:
        """(column, parent table, parent column) of `table`'s foreign keys."""
        return [(c, rt, rc) for t, c, rt, rc in self.info.facts.foreign_keys if t == table]


def _sort_key(value: Scalar) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


@dataclass(frozen=True)
class QueryView:
    """The query and its outermost SELECT; `sources` maps each base table's alias (or name)
    in that SELECT's FROM and JOINs to the table, lowercased."""

    tree: exp.Select
    select: exp.Select | None
    sources: dict[str, str]
    grouped: bool
    aggregated: bool

    @property
    def tables(self) -> set[str]:
        return {t.name.lower() for t in self.tree.find_all(exp.Table)}

    def label(self, table: str, column: str) -> str:
        """A column in words, with its table's name unless it is the main table's."""
        main = self.main
        if main is not None and main[1] == table:
            return words(column)
        return owned(singular(words(table)), words(column))

    @property
    def main(self) -> tuple[str, str] | None:
        """(alias, table) of the FROM clause's base table."""
        if self.select is None:
            return None
        source = self.select.args.get("from_") or self.select.args.get("from")
        table = source.this if source is not None else None
        if isinstance(table, exp.Table):
            return table.alias_or_name, table.name.lower()
        return None


def view_query(tree: exp.Expr) -> QueryView | None:
    """The view of a SELECT (a WITH before it is kept); None for DML and set operations."""
    if not isinstance(tree, exp.Select):
        return None
    sources: dict[str, str] = {}
    source = tree.args.get("from_") or tree.args.get("from")
    items = [source.this] if source is not None else []
    items += [j.this for j in tree.args.get("joins") or []]
    for item in items:
        if isinstance(item, exp.Table):
            sources[item.alias_or_name] = item.name.lower()
    aggregated = any(
        isinstance(node, exp.AggFunc) and node.find_ancestor(exp.Window) is None
        for projection in tree.expressions
        for node in projection.walk()
    )
    grouped = tree.args.get("group") is not None
    return QueryView(tree, tree, sources, grouped, aggregated or grouped)


__all__ = [
    "EvolveContext",
    "FixtureError",
    "Kind",
    "QueryView",
    "Row",
    "owned",
    "singular",
    "view_query",
    "words",
]
