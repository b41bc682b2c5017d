"""The rows of one schema instance, indexed for the query builder and the evaluator.

Everything here is computed once per instance: rows as tuples, distinct values per column,
which parent keys are referenced by children. The builder draws filter values from these
rows, so every filter it writes matches at least one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from proto.sample import Scalar, TableRows
from shared.generation.template.schema.schema_model import (
    Column,
    ColumnType,
    Domain,
    FakeKind,
    Table,
    ValueKind,
)

Row = tuple[Scalar, ...]

# Kinds that make sense as a WHERE equality or a GROUP BY key.
CATEGORICAL = frozenset(
    {
        ValueKind.CATEGORY,
        ValueKind.CITY,
        ValueKind.COUNTRY,
        ValueKind.YEAR,
        ValueKind.RATING,
        ValueKind.ORDINAL,
    }
)
# Kinds that name one row (an equality on them picks a single entity).
NAMING = frozenset({ValueKind.TITLE, ValueKind.PERSON_NAME, ValueKind.COMPANY_NAME, ValueKind.CODE})
# Numeric kinds worth summing or averaging.
MEASURES = frozenset({ValueKind.MONEY, ValueKind.QUANTITY, ValueKind.MEASURE, ValueKind.PERCENT})
NUMERIC_TYPES = frozenset({ColumnType.INTEGER, ColumnType.DECIMAL})


@dataclass(frozen=True)
class RowStore:
    domain: Domain
    schema_id: str
    tables: dict[str, tuple[tuple[str, ...], tuple[Row, ...]]]
    _distinct: dict[tuple[str, str], tuple[Scalar, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Joined rows per (FROM source, joins) over base tables: the evaluator's memo.
    joins_memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    # Other per-instance memos of the builder (value counts, typed fields).
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, domain: Domain, rows: Sequence[TableRows], schema_id: str) -> RowStore:
        tables = {r.table: (tuple(r.columns), tuple(tuple(v) for v in r.values)) for r in rows}
        return cls(domain=domain, schema_id=schema_id, tables=tables)

    def table(self, name: str) -> Table:
        return self.domain.table(name)

    def rows(self, table: str) -> tuple[Row, ...]:
        return self.tables[table][1]

    def columns(self, table: str) -> tuple[str, ...]:
        return self.tables[table][0]

    def index(self, table: str, column: str) -> int:
        return self.tables[table][0].index(column)

    def row_count(self, table: str) -> int:
        return len(self.tables[table][1])

    def values(self, table: str, column: str) -> tuple[Scalar, ...]:
        """Distinct non-NULL values in row order."""
        key = (table, column)
        found = self._distinct.get(key)
        if found is None:
            at = self.index(table, column)
            found = tuple(dict.fromkeys(r[at] for r in self.rows(table) if r[at] is not None))
            self._distinct[key] = found
        return found

    @cached_property
    def referenced_keys(self) -> dict[str, frozenset[Scalar]]:
        """For each table, the primary-key values some child row points at (DELETE must spare
        them: PostgreSQL and MariaDB enforce the foreign keys)."""
        out: dict[str, set[Scalar]] = {t.name: set() for t in self.domain.tables}
        for table in self.domain.tables:
            for fk in table.foreign_keys:
                at = self.index(table.name, fk.column)
                out[fk.ref_table].update(r[at] for r in self.rows(table.name) if r[at] is not None)
        return {name: frozenset(keys) for name, keys in out.items()}

    def row_key(self, table: str) -> tuple[str, ...]:
        """The columns SQL names a row of `table` by: its primary key; for a seed table whose
        key is synthetic (absent from the seed), its unique label or link pair instead (or its
        links: the evaluator refuses orders they leave tied)."""
        t = self.table(table)
        seed = self.domain.seed
        if seed is None or table not in seed.synthetic_keys:
            return (t.primary_key,)
        if t.label_column:
            return (t.label_column,)
        links = tuple(fk.column for fk in t.foreign_keys)
        return t.unique_together or links or (t.primary_key,)

    def max_key(self, table: str) -> int:
        at = self.index(table, self.table(table).primary_key)
        keys = [v for v in (r[at] for r in self.rows(table)) if isinstance(v, int)]
        return max(keys, default=0)


def column_role(table: Table, column: Column) -> str:
    """How the builder may use a column: key, fk, label, category, measure, date, name, text
    (free text), other."""
    if column.name == table.primary_key:
        return "key"
    if column.kind is ValueKind.FOREIGN_KEY or any(
        fk.column == column.name for fk in table.foreign_keys
    ):
        return "fk"
    if column.type is ColumnType.DATE:
        return "date"
    if column.kind is ValueKind.FREE_TEXT or column.fake is FakeKind.TEXT:
        # Free prose (other details, descriptions; a category Faker fills with sentences too)
        # is no category: a filter or a group on it quotes a sentence ("paragraphs with other
        # details 'Throw have once hotel work near sing sell.'", a Spider-seeded run).
        return "text"  # no filter, grouping or listing role takes it
    if column.kind in CATEGORICAL:
        return "category"
    if column.kind in MEASURES and column.type in NUMERIC_TYPES:
        return "measure"
    if column.kind in NAMING:
        return "name"
    return "other"


def label_column(table: Table) -> Column | None:
    return table.column(table.label_column) if table.label_column else None
