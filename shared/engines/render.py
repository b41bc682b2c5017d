"""Per-engine SQL text: queries transpiled by sqlglot, fixtures as statements plus row inserts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError

from proto.common import Engine
from proto.sample import Scalar, TableRows
from shared.engines.fixture import Fixture
from shared.engines.quoting import quote_name, string_literal, unquote_where_safe
from shared.engines.reading import engine_dialect, read_sql
from shared.record_scope import remember
from shared.sql.dialects import sqlglot_dialect


class FixtureRenderError(ValueError):
    """The fixture DDL cannot be read in its own dialect, so it cannot be rendered."""


class _Unreadable(ValueError):
    """sqlglot cannot read a statement (its message), in a dialect it must be rendered from."""


# How each driver spells the n-th (1-based) query parameter.
PLACEHOLDERS: dict[Engine, Callable[[int], str]] = {
    Engine.SQLITE: lambda _: "?",
    Engine.POSTGRES: lambda n: f"${n}",
    Engine.MYSQL: lambda _: "%s",
}


@dataclass(frozen=True)
class RowInsert:
    """One parameterised INSERT and the value tuples to run it with (executemany)."""

    sql: str
    rows: tuple[tuple[Scalar, ...], ...]


@dataclass(frozen=True)
class RenderedStatement:
    """One fixture statement as the target runs it, and where it was written from.

    Only text is kept here (plans are cached per DDL): the tree a statement was written from
    is had again from `written_from` below, remembered within the record being validated and
    rebuilt the same way for the next one.
    """

    sql: str
    # Written for another engine: the statement as read and the dialect it was read in.
    # None when `sql` is the statement as written.
    origin: tuple[str, Engine] | None = None

    def written_from(self, target: Engine) -> exp.Expr | None:
        """The tree `sql` was generated from (None: run as written, or rendered otherwise)."""
        if self.origin is None:
            return None
        text, source = self.origin
        rendered, tree = render_statement(text, source, target)
        # Deterministic, so always the same text; if not, no tree: the text is parsed.
        return tree if rendered.sql == self.sql else None


@dataclass(frozen=True)
class FixturePlan:
    """Everything an engine runs to build a fixture, already in its dialect."""

    statements: tuple[str, ...]
    # Created tables as target SQL identifiers (for state digests after writes).
    tables: tuple[str, ...]
    inserts: tuple[RowInsert, ...]
    # The same statements with what they were rendered from (for the sandbox's screen).
    rendered: tuple[RenderedStatement, ...] = ()


def render_sql(sql: str, source: Engine, target: Engine) -> str:
    """sqlglot transpile; the text itself when source == target or when it does not parse.

    Names are quoted only where the target needs it, as the fixture's DDL is (quoting.py).
    """
    if source == target:
        return sql
    write = sqlglot_dialect(target)
    try:
        trees = sqlglot.parse(sql, read=sqlglot_dialect(source))
        out = [
            unquote_where_safe(tree, target).sql(dialect=write, unsupported_level=ErrorLevel.IGNORE)
            for tree in trees
            if tree is not None
        ]
    except (SqlglotError, RecursionError):
        # The engine reports the problem in its own words; rendering never hides SQL.
        return sql
    return ";\n".join(s for s in out if s)


def split_statements(text: str, dialect: Engine) -> list[str]:
    """Cut a script at top-level semicolons using the dialect's tokenizer (strings stay whole).

    Once per record (record_scope.py): each engine's rendering of the DDL starts here."""
    return list(remember(("split", text, dialect), lambda: tuple(_split_afresh(text, dialect))))


def _split_afresh(text: str, dialect: Engine) -> list[str]:
    try:
        tokens = sqlglot.tokenize(text, read=sqlglot_dialect(dialect))
    except SqlglotError as exc:
        raise FixtureRenderError(f"cannot tokenize fixture DDL: {exc}") from exc
    statements: list[str] = []
    start: int | None = None
    end = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                statements.append(text[start : end + 1])
            start = None
            continue
        if start is None:
            start = token.start
        end = token.end
    if start is not None:
        statements.append(text[start : end + 1])
    return statements


def render_fixture(fixture: Fixture, target: Engine) -> list[str]:
    """DDL/INSERT statements of the fixture for `target` (cached by fixture key and target)."""
    return list(plan_fixture(fixture, target).statements)


def plan_fixture(fixture: Fixture, target: Engine) -> FixturePlan:
    rendered, tables, columns = _render_ddl(fixture.ddl, fixture.dialect, target)
    inserts = tuple(_plan_insert(rows, target, tables, columns) for rows in fixture.rows)
    statements = tuple(statement.sql for statement in rendered)
    return FixturePlan(statements, tuple(tables.values()), inserts, rendered)


@lru_cache(maxsize=4096)
def _render_ddl(
    ddl: str, source: Engine, target: Engine
) -> tuple[tuple[RenderedStatement, ...], dict[str, str], dict[tuple[str, str], str]]:
    """Statements for target, table identifiers and column identifiers (keys lower-cased)."""
    statements: list[RenderedStatement] = []
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    for number, text in enumerate(split_statements(ddl, source), start=1):
        try:
            rendered, tree = render_statement(text, source, target)
        except _Unreadable as exc:
            raise FixtureRenderError(
                f"statement {number} does not parse as {sqlglot_dialect(source)}: {exc}"
            ) from exc
        statements.append(rendered)
        if tree is not None:
            _collect_names(tree, engine_dialect(target), tables, columns)
    return tuple(statements), tables, columns


def render_statement(
    text: str, source: Engine, target: Engine
) -> tuple[RenderedStatement, exp.Expr | None]:
    """One DDL statement for target, and the tree its names are read from (None: unreadable,
    same dialect, left to the engine). Raises _Unreadable for another dialect.

    The tree is what the sandbox screens in place of parsing the written text again, so it is
    remembered within one record's validation only (record_scope.py): the next record's
    fixture is rendered, and its tree built, again."""
    return remember(
        ("render", text, source, target), lambda: _render_statement_afresh(text, source, target)
    )


def _render_statement_afresh(
    text: str, source: Engine, target: Engine
) -> tuple[RenderedStatement, exp.Expr | None]:
    reading = read_sql(text, source)
    tree = reading.first
    if tree is None:
        if source == target:
            # Same dialect: the engine is the judge of text sqlglot cannot read.
            return RenderedStatement(text), None
        raise _Unreadable(
            reading.tokenize_error
            or reading.parse_error
            or f"No expression was parsed from '{text}'"
        )
    if source == target:
        return RenderedStatement(text), tree
    # The reading is shared within the record, so the target's changes are made on a tree of
    # our own. A row-heavy INSERT is parsed again (the compiled parser beats a deep copy of
    # thousands of literal nodes); any other statement (a template's CREATE TABLE: 0.25 ms
    # to copy against 0.6 ms to parse, five statements per fixture) is copied (#23).
    if isinstance(tree, exp.Insert):
        parsed = engine_dialect(source).parse(text)[0]
        assert parsed is not None  # the same text and dialect as the reading's first statement
        tree = parsed
    else:
        tree = tree.copy()
    # SQLite's names are case-insensitive: bare wherever the target allows (quoting.py).
    tree = unquote_where_safe(tree, target)
    for fixup in DDL_FIXUPS.get(target, ()):
        tree = fixup(tree)
    # Written without the generator's defensive copy: the tree is ours, and what the
    # generator's preprocessing leaves of it is exactly what the text was written from.
    sql = engine_dialect(target).generate(tree, copy=False)
    return RenderedStatement(sql, (text, source)), tree


def _collect_names(
    tree: exp.Expr, write: Dialect, tables: dict[str, str], columns: dict[tuple[str, str], str]
) -> None:
    if not isinstance(tree, exp.Create) or str(tree.args.get("kind", "")).upper() != "TABLE":
        return
    schema = tree.this
    table = schema.this if isinstance(schema, exp.Schema) else schema
    if not isinstance(table, exp.Table):
        return
    # Generator.sql writes a node without copying it first (Expression.sql deep-copies,
    # since generate() may rewrite a whole query): names are never rewritten, and the tree
    # is a shared reading (reading.py) that must stay as it is.
    generator = write.generator()
    tables[table.name.lower()] = generator.sql(table)
    if isinstance(schema, exp.Schema):
        for col in schema.expressions:
            if isinstance(col, exp.ColumnDef):
                columns[(table.name.lower(), col.name.lower())] = generator.sql(col.this)


def _plan_insert(
    rows: TableRows, target: Engine, tables: dict[str, str], columns: dict[tuple[str, str], str]
) -> RowInsert:
    table, cols = _insert_names(rows, target, tables, columns)
    if target is Engine.MYSQL:
        # The driver formats parameters with %: a % in a (quoted) identifier must be doubled.
        table, cols = table.replace("%", "%%"), [c.replace("%", "%%") for c in cols]
    marks = ", ".join(PLACEHOLDERS[target](n) for n in range(1, len(cols) + 1))
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
    return RowInsert(sql, tuple(tuple(v) for v in rows.values))


def _insert_names(
    rows: TableRows, target: Engine, tables: dict[str, str], columns: dict[tuple[str, str], str]
) -> tuple[str, list[str]]:
    """Reuse the DDL's spelling of each identifier so case folding and quoting agree with it."""
    table = tables.get(rows.table.lower()) or quote_name(rows.table, target)
    cols = [
        columns.get((rows.table.lower(), c.lower())) or quote_name(c, target) for c in rows.columns
    ]
    return table, cols


def find_schema_names(fixture: Fixture) -> frozenset[str]:
    """Lower-cased table and column names the fixture's DDL creates (empty if unreadable)."""
    try:
        _, tables, columns = _render_ddl(fixture.ddl, fixture.dialect, fixture.dialect)
    except FixtureRenderError:
        return frozenset()
    return frozenset(tables) | frozenset(column for _, column in columns)


def render_context(fixture: Fixture, target: Engine) -> str:
    """The fixture as `target` reads it, as text: its DDL statements, then one INSERT per table.

    A record's `sql_context_by_dialect`: what a user loads into that engine to run the
    record's SQL for that engine (tests/engines/test_stock_mariadb.py loads every one).
    """
    rendered, tables, columns = _render_ddl(fixture.ddl, fixture.dialect, target)
    lines = [statement.sql.strip().rstrip(";").rstrip() + ";" for statement in rendered]
    for rows in fixture.rows:
        if not rows.values:
            continue
        table, cols = _insert_names(rows, target, tables, columns)
        values = ", ".join(
            "(" + ", ".join(render_literal(v, target) for v in row) + ")" for row in rows.values
        )
        lines.append(f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values};")
    return "\n".join(lines)


def render_contexts(fixture: Fixture, engines: Iterable[Engine]) -> dict[Engine, str]:
    """render_context for each engine whose rendering of the DDL succeeds."""
    contexts: dict[Engine, str] = {}
    for engine in engines:
        try:
            contexts[engine] = render_context(fixture, engine)
        except FixtureRenderError:
            continue  # that engine's check already failed with this reason
    return contexts


def render_literal(value: Scalar, target: Engine) -> str:
    """A row value as a literal of `target` (MySQL reads backslash escapes in strings)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        if target is Engine.POSTGRES:
            return "TRUE" if value else "FALSE"
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return string_literal(str(value), target)


_FLOAT_TYPES = frozenset({exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE})


def _fix_postgres_type_params(tree: exp.Expr) -> exp.Expr:
    """PostgreSQL has no TEXT(n) nor FLOAT(m, d) (MySQL and SQLite accept both).

    TEXT(n) reads as VARCHAR(n); FLOAT(m, d) as DECIMAL(m, d), which also keeps MySQL's
    rounding of stored values to d decimals.
    """
    for dtype in tree.find_all(exp.DataType):
        if dtype.this == exp.DataType.Type.TEXT and dtype.expressions:
            dtype.set("this", exp.DataType.Type.VARCHAR)
        elif dtype.this in _FLOAT_TYPES and len(dtype.expressions) == 2:
            dtype.set("this", exp.DataType.Type.DECIMAL)
    return tree


def _widen_mysql_key_text(tree: exp.Expr) -> exp.Expr:
    """MySQL cannot index TEXT without a prefix length: key columns become VARCHAR(255)."""
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        return tree
    keyed: set[str] = set()
    for node in tree.this.expressions:
        if isinstance(node, exp.PrimaryKey | exp.ForeignKey | exp.UniqueColumnConstraint):
            # Table-level UNIQUE keeps its columns in `this` (a Schema), the others in expressions.
            parts = [*node.expressions, *([node.this] if node.this else [])]
            for part in parts:
                keyed.update(i.name.lower() for i in part.find_all(exp.Identifier))
        if isinstance(node, exp.ColumnDef) and any(
            isinstance(c.kind, exp.PrimaryKeyColumnConstraint | exp.UniqueColumnConstraint)
            for c in node.constraints
        ):
            keyed.add(node.name.lower())
    for col in tree.this.expressions:
        kind = col.args.get("kind") if isinstance(col, exp.ColumnDef) else None
        text_types = (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)
        if (
            isinstance(kind, exp.DataType)
            and col.name.lower() in keyed
            and kind.this in text_types
            and not (kind.this == exp.DataType.Type.VARCHAR and kind.expressions)
        ):
            col.set("kind", exp.DataType.build("VARCHAR(255)", dialect="mysql"))
    return tree


def _widen_mysql_bare_decimal(tree: exp.Expr) -> exp.Expr:
    """A NUMERIC/DECIMAL without precision keeps integers and decimals as given on SQLite
    (NUMERIC affinity) and PostgreSQL (unconstrained NUMERIC); MySQL reads it as DECIMAL(10,0)
    and would round 12.5 to 13. DECIMAL(38,10) holds what the other two hold (Spider's
    `number` columns; seed_types.py keeps them NUMERIC)."""
    for dtype in tree.find_all(exp.DataType):
        if dtype.this == exp.DataType.Type.DECIMAL and not dtype.expressions:
            dtype.replace(exp.DataType.build("DECIMAL(38, 10)", dialect="mysql"))
    return tree


# Rewrites applied when DDL is rendered for another engine: engine quirks as data.
DDL_FIXUPS: dict[Engine, tuple[Callable[[exp.Expr], exp.Expr], ...]] = {
    Engine.POSTGRES: (_fix_postgres_type_params,),
    Engine.MYSQL: (_widen_mysql_key_text, _widen_mysql_bare_decimal),
}
