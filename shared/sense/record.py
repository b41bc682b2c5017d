"""What the sense checks read: one record, and the facts derived from its schema."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from proto.common import Engine, PromptStyle
from proto.sample import TableRows
from shared.record_scope import per_record
from shared.sense.findings import Origin
from shared.sql.schema_facts import ForeignKey, SchemaFacts, read_schema_creates


@dataclass(frozen=True)
class SenseInput:
    """One record. `schema_ddl` may carry INSERT rows (Gretel's sql_context); `rows` are the
    structured rows of a generated draft. `evidence` is BIRD's note (thresholds, mappings)."""

    question: str
    sql: str
    schema_ddl: str
    sql_dialect: Engine = Engine.SQLITE
    schema_dialect: Engine = Engine.SQLITE
    rows: tuple[TableRows, ...] = ()
    evidence: str = ""
    origin: Origin = Origin.USER
    planned_style: PromptStyle | None = None

    @property
    def has_rows(self) -> bool:
        return bool(self.rows) or bool(_INSERT.search(self.schema_ddl))


_INSERT = re.compile(r"\bINSERT\s+INTO\b", re.IGNORECASE)
# sqlglot's own dialect: the one `Expression.sql()` writes column types in.
_DEFAULT_DIALECT = Dialect.get_or_raise(None)


@dataclass(frozen=True)
class SchemaInfo:
    """Schema facts plus what the checks need beyond them: types and NOT NULL columns."""

    facts: SchemaFacts
    types: Mapping[str, Mapping[str, str]]
    not_null: frozenset[tuple[str, str]]
    # The names as written (schema facts lowercase them; "IndepYear" still says two words).
    spelled: Mapping[str, str] = field(default_factory=dict)

    def spelling(self, column: str) -> str:
        return self.spelled.get(column, column)

    def tables_with(self, column: str) -> list[str]:
        return [t for t, cols in self.facts.columns.items() if column in cols]

    def is_primary_key(self, table: str, column: str) -> bool:
        keys = self.facts.primary_keys.get(table)
        if keys:
            return column in keys and len(keys) == 1
        return column == "id" or _squash(column) in {_squash(table) + "id", _singular(table) + "id"}

    def foreign_key(self, table: str, column: str) -> ForeignKey | None:
        for fk in self.facts.foreign_keys:
            if fk[0] == table and fk[1] == column:
                return fk
        return None

    def is_not_null(self, table: str, column: str) -> bool:
        return (table, column) in self.not_null or (
            column in (self.facts.primary_keys.get(table) or ())
        )

    def type_of(self, table: str, column: str) -> str:
        return self.types.get(table, {}).get(column, "")


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _singular(table: str) -> str:
    name = _squash(table)
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


@per_record(maxsize=512)
def read_schema(ddl: str, dialect: Engine = Engine.SQLITE) -> SchemaInfo:
    """Never raises: a CREATE TABLE sqlglot cannot read adds nothing.

    The column types and NOT NULLs come from the trees the facts were read from (one parse of
    the DDL, #23); the trees are shared, so types are written without the generator's copy
    (a type node is written as it is: no preprocessing rewrites a node inside a statement)."""
    facts, creates = read_schema_creates(ddl, dialect)
    types: dict[str, dict[str, str]] = {}
    not_null: set[tuple[str, str]] = set()
    spelled: dict[str, str] = {}
    generator = _DEFAULT_DIALECT.generator()
    for create in creates:
        schema = create.this
        if not isinstance(schema, exp.Schema) or not isinstance(schema.this, exp.Table):
            continue
        table = schema.this.name.lower()
        columns = types.setdefault(table, {})
        for item in schema.expressions:
            if not isinstance(item, exp.ColumnDef):
                continue
            name = item.name.lower()
            spelled.setdefault(name, item.name)
            kind = item.args.get("kind")
            columns[name] = generator.generate(kind, copy=False).upper() if kind is not None else ""
            for constraint in item.args.get("constraints") or []:
                if isinstance(constraint.args.get("kind"), exp.NotNullColumnConstraint) and not (
                    constraint.args["kind"].args.get("allow_null")
                ):
                    not_null.add((table, name))
    return SchemaInfo(
        facts=facts,
        types=MappingProxyType({t: MappingProxyType(c) for t, c in types.items()}),
        not_null=frozenset(not_null),
        spelled=MappingProxyType(spelled),
    )


@dataclass
class ParsedRecord:
    """The record parsed once; checks share it. `db` is its fixture on SQLite, when it has rows
    that load (set by the analysis before the checks run)."""

    record: SenseInput
    tree: exp.Expr
    schema: SchemaInfo
    db: sqlite3.Connection | None = None
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The question with BIRD's evidence, lowercased: where outputs and values are named."""
        return f"{self.record.question} {self.record.evidence}".lower()

    def column_values(self, table: str, column: str) -> list[object] | None:
        """Every value of a column in the fixture, or None without a fixture."""
        if self.db is None:
            return None
        try:
            rows = self.db.execute(f'SELECT "{column}" FROM "{table}"').fetchall()
        except sqlite3.Error:
            return None
        return [row[0] for row in rows]
