"""A concrete schema: a variant of a catalogue domain with its DDL and rows, ready to execute.

`variant` and the spec's `SchemaShape` choose the tables, columns, types and keys
(`variants.py`) and the data. `schema_id` ("retail#3", or "retail#3~c6r12k11" with a shape)
names the instance in blueprints and drafts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from proto.sample import Scalar, TableRows
from shared.generation.template.instance.rows import generate_rows
from shared.generation.template.schema.catalogue import get_domain
from shared.generation.template.schema.ddl import render_ddl
from shared.generation.template.schema.schema_model import Domain
from shared.generation.template.schema.variants import SchemaShape, derive_domain, format_schema_id


@dataclass(frozen=True)
class SchemaInstance:
    domain: Domain
    variant: int
    # Portable CREATE TABLE statements in FK order, one per line, each ending with ';'.
    ddl: str
    # One entry per table, in FK order (parents first), columns in table order.
    rows: tuple[TableRows, ...]
    schema_id: str
    # The rows the engine builds on when they hold more than `rows` (a seed table's synthetic
    # key, which the draft leaves out); empty when they are `rows`.
    store_rows: tuple[TableRows, ...] = ()
    _by_table: dict[str, TableRows] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_table", {r.table: r for r in self.rows})

    def table_rows(self, table: str) -> TableRows:
        try:
            return self._by_table[table]
        except KeyError:
            raise KeyError(f"{self.schema_id} has no table {table!r}") from None

    def values(self, table: str, column: str) -> list[Scalar]:
        """Distinct non-NULL values present in a column, in row order: a filter on any of them
        returns at least one row."""
        rows = self.table_rows(table)
        try:
            at = rows.columns.index(column)
        except ValueError:
            raise KeyError(f"{self.schema_id} has no column {table}.{column}") from None
        present = (row[at] for row in rows.values if row[at] is not None)
        return list(dict.fromkeys(present))

    def row_count(self, table: str) -> int:
        return len(self.table_rows(table).values)


def shaped_domain(domain_name: str, variant: int, shape: SchemaShape) -> Domain:
    """The tables and columns of (domain, variant, shape), without rows: enough to decide
    whether a variant can hold a plan before paying for its rows (most of a build)."""
    return _shaped_domain(domain_name, variant, replace(shape, rows_per_table=None))


@lru_cache(maxsize=2048)
def _shaped_domain(domain_name: str, variant: int, shape: SchemaShape) -> Domain:
    return derive_domain(get_domain(domain_name), variant, shape)


@lru_cache(maxsize=512)
def build_schema(
    domain_name: str,
    variant: int = 0,
    rows_per_table: int | None = None,
    shape: SchemaShape | None = None,
) -> SchemaInstance:
    """The instance for (domain, variant[, size][, shape]); deterministic and cached. A
    shape's rows_per_table wins over the `rows_per_table` argument."""
    shape = shape or SchemaShape(rows_per_table=rows_per_table)
    domain = shaped_domain(domain_name, variant, shape)
    return SchemaInstance(
        domain=domain,
        variant=variant,
        ddl=render_ddl(domain),
        rows=generate_rows(domain, variant, shape.rows_per_table),
        schema_id=format_schema_id(domain.name, variant, shape),
    )
