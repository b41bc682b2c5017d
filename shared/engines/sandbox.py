"""The parser layer of the sandbox: which statements and functions untrusted SQL may use.

Generated SQL is untrusted input. This layer rejects early and explains why; the engines' own
privileges (restricted roles, read-only transactions, SQLite's authorizer, timeouts) stop the
same statements again in case the parser is fooled, so nothing here is the only line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlglot import TokenType, exp
from sqlglot.errors import SqlglotError

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.lexing import find_lexical_problem
from shared.engines.reading import engine_dialect, first_line_of, read_sql
from shared.engines.statement_names import is_known_statement, name_statement
from shared.engines.strings import MAX_VALUE_CHARS, MIN_COLUMN_CHARS, find_string_problem
from shared.record_scope import remember
from shared.sql.dialects import sqlglot_dialect

MAX_SQL_CHARS = 100_000

# Functions that reach outside the fixture (files, network, other sessions, server state) or
# exist only to burn time. A name dangerous on one engine is denied on all of them: the same
# portable text then gets the same verdict everywhere.
DENIED_FUNCTIONS: dict[Engine, frozenset[str]] = {
    Engine.POSTGRES: frozenset(
        {
            "set_config",
            "current_setting",
            "pg_notify",
            "nextval",
            "setval",
            "currval",
            "lastval",
            "query_to_xml",
            "query_to_xml_and_xmlschema",
            "query_to_xmlschema",
            "cursor_to_xml",
            "table_to_xml",
            "schema_to_xml",
            "database_to_xml",
        }
    ),
    Engine.MYSQL: frozenset(
        {
            "sleep",
            "benchmark",
            "load_file",
            "get_lock",
            "release_lock",
            "release_all_locks",
            "is_free_lock",
            "is_used_lock",
            "master_pos_wait",
            "master_gtid_wait",
            "source_pos_wait",
            "sys_exec",
            "sys_eval",
            # Session state: LAST_INSERT_ID(expr) sets what the next call returns.
            "last_insert_id",
        }
    ),
    Engine.SQLITE: frozenset(
        {
            "load_extension",
            "readfile",
            "writefile",
            "edit",
            "fts3_tokenizer",
            "zipfile",
            "sqlite_compileoption_get",
            "sqlite_compileoption_used",
        }
    ),
}
DENIED_FUNCTION_PREFIXES: tuple[str, ...] = (
    "pg_",  # server administration, files, sleeps, advisory locks, replication
    "lo_",  # large objects: server-side files
    "dblink",
    "sqlite_",
)
# pg_ functions that only describe values: harmless, and common in generated SQL.
ALLOWED_PREFIXED_FUNCTIONS = frozenset({"pg_typeof"})
ALL_DENIED_FUNCTIONS: frozenset[str] = frozenset().union(*DENIED_FUNCTIONS.values())

# Node types that never belong inside a query, at any depth (SELECT INTO, FOR UPDATE, DML in
# a CTE, SET, PRAGMA, ...). Names, so a sqlglot release without one of them still imports.
_DENIED_NODE_NAMES = (
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "Create",
    "Drop",
    "Alter",
    "TruncateTable",
    "Command",
    "Into",
    "Lock",
    "Set",
    "Pragma",
    "Use",
    "Transaction",
    "Commit",
    "Rollback",
    "Grant",
    "Revoke",
    "Kill",
    "Attach",
    "Detach",
    "Copy",
    "LoadData",
    "Analyze",
    "Describe",
    "Show",
    "Cache",
    "Uncache",
    "Refresh",
    "Execute",
    "Declare",
)
DENIED_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, n) for n in _DENIED_NODE_NAMES if hasattr(exp, n)
)
READ_STATEMENTS: tuple[type[exp.Expr], ...] = (exp.Select, exp.SetOperation)
WRITE_STATEMENTS: tuple[type[exp.Expr], ...] = (exp.Insert, exp.Update, exp.Delete)
FIXTURE_CREATE_KINDS = frozenset({"TABLE", "INDEX"})
# MySQL rolls back only transactional tables; fixtures must be InnoDB for write checks.
MYSQL_TABLE_ENGINES = frozenset({"innodb"})


@dataclass(frozen=True)
class Screened:
    """The parser's verdict: the parsed statement, or why it is rejected."""

    expression: exp.Expr | None
    writes: bool = False
    error_class: ErrorClass | None = None
    message: str | None = None
    # The longest string the statement can build (strings.py); a fixture's values bound.
    longest_string: int = 0

    @property
    def ok(self) -> bool:
        return self.error_class is None


def reject(error_class: ErrorClass, message: str) -> Screened:
    return Screened(None, error_class=error_class, message=message)


def is_denied_function(name: str) -> bool:
    low = name.lower()
    if low in ALLOWED_PREFIXED_FUNCTIONS:
        return False
    return low in ALL_DENIED_FUNCTIONS or low.startswith(DENIED_FUNCTION_PREFIXES)


def screen_query(
    sql: str,
    engine: Engine,
    *,
    allow_writes: bool = False,
    column_chars: int = MIN_COLUMN_CHARS,
) -> Screened:
    """Allow exactly one read query (or, with allow_writes, one INSERT/UPDATE/DELETE).

    `column_chars` bounds the fixture's string values (strings.py: what searches over them
    may cost). Remembered within one record's validation (record_scope.py: its schema and
    query checks may screen the same text twice), never across records. Callers must treat
    the returned expression as read-only.
    """
    key = ("screen_query", sql, engine, allow_writes, column_chars)
    return remember(key, lambda: _screen_query_afresh(sql, engine, allow_writes, column_chars))


def _screen_query_afresh(
    sql: str, engine: Engine, allow_writes: bool, column_chars: int
) -> Screened:
    parsed = _parse_single(sql, engine)
    if not parsed.ok or parsed.expression is None:
        return parsed
    root = parsed.expression
    if isinstance(root, exp.Subquery) and isinstance(root.unnest(), READ_STATEMENTS):
        root = root.unnest()
    if isinstance(root, READ_STATEMENTS):
        writes = False
    elif isinstance(root, WRITE_STATEMENTS):
        if not allow_writes:
            return reject(
                ErrorClass.FORBIDDEN,
                f"sandbox: {name_statement(root, sql)} is not allowed; this check is read-only",
            )
        writes = True
    else:
        return reject(
            ErrorClass.FORBIDDEN,
            f"sandbox: statement type {name_statement(root, sql)} is not allowed",
        )
    problem = _find_tree_problem(root)
    if problem:
        return reject(ErrorClass.FORBIDDEN, problem)
    portability = _find_mariadb_only_problem(root, engine)
    if portability:
        return reject(ErrorClass.SYNTAX, portability)
    strings = find_string_problem(root, column_chars, dialect=sqlglot_dialect(engine))
    if strings.problem:
        return reject(ErrorClass.FORBIDDEN, strings.problem)
    return Screened(root, writes=writes, longest_string=strings.longest)


def screen_fixture_statement(
    sql: str, engine: Engine, *, written_from: exp.Expr | None = None
) -> Screened:
    """Fixture scripts may only CREATE TABLE / CREATE INDEX and INSERT.

    `written_from`: the tree sqlglot rendered `sql` from (render.py, DDL written for another
    engine). The text is still checked token by token as the engine reads it; the tree takes
    the place of parsing the rendered text again.
    """
    if written_from is None:
        parsed = _parse_single(sql, engine)
    else:
        parsed = _read_written(sql, engine, written_from)
    if not parsed.ok or parsed.expression is None:
        return parsed
    root = parsed.expression
    if isinstance(root, exp.Command) and not is_known_statement(sql):
        # sqlglot's fallback for text it could not read: a broken statement, not a verdict.
        return reject(ErrorClass.SYNTAX, f"not understood as {engine.value}: {sql[:80]}")
    if isinstance(root, exp.Create):
        kind = str(root.args.get("kind") or "").upper()
        if kind not in FIXTURE_CREATE_KINDS:
            return reject(ErrorClass.FORBIDDEN, f"sandbox: CREATE {kind} is not allowed in DDL")
        if root.expression is not None:
            return reject(ErrorClass.FORBIDDEN, "sandbox: CREATE TABLE ... AS is not allowed")
        if _is_temporary(root):
            return reject(ErrorClass.FORBIDDEN, "sandbox: temporary tables are not allowed")
        problem = _find_engine_problem(root) or _find_table_option_problem(root, engine)
    elif isinstance(root, exp.Insert):
        problem = None
    else:
        return reject(
            ErrorClass.FORBIDDEN,
            f"sandbox: {name_statement(root, sql)} is not allowed in fixture DDL",
        )
    problem = problem or _find_tree_problem(root)
    if problem:
        return reject(ErrorClass.FORBIDDEN, problem)
    # Stored values are searched by every later query: bounded here, aggregates refused.
    strings = find_string_problem(
        root,
        MAX_VALUE_CHARS,
        built_limit=MAX_VALUE_CHARS,
        allow_unbounded=False,
        dialect=sqlglot_dialect(engine),
    )
    if strings.problem:
        kind = ErrorClass.TOO_LARGE if strings.too_long else ErrorClass.FORBIDDEN
        return reject(kind, strings.problem)
    return Screened(root, writes=True, longest_string=strings.longest)


def _parse_single(sql: str, engine: Engine) -> Screened:
    """Tokenize once, look at the comments, parse the same tokens (reading.py, cached)."""
    if len(sql) > MAX_SQL_CHARS:
        return reject(ErrorClass.FORBIDDEN, f"sandbox: statement longer than {MAX_SQL_CHARS}")
    reading = read_sql(sql, engine)
    if reading.tokenize_error is not None:
        return reject(
            ErrorClass.SYNTAX, f"cannot tokenize as {engine.value}: {reading.tokenize_error}"
        )
    # sqlglot's tokens must be the engine's tokens, or the tree below is not what runs.
    if reading.lexical:
        return reject(reading.lexical.error_class, reading.lexical.message)
    if reading.executable_comment:
        return reject(ErrorClass.FORBIDDEN, "sandbox: executable comment (/*! ... */)")
    if reading.parse_error is not None:
        return reject(ErrorClass.SYNTAX, f"does not parse as {engine.value}: {reading.parse_error}")
    statements = [s for s in reading.statements if s is not None]
    if not statements:
        return reject(ErrorClass.SYNTAX, "empty statement")
    if len(statements) > 1:
        return reject(
            ErrorClass.FORBIDDEN,
            f"sandbox: exactly one statement allowed, got {len(statements)}",
        )
    return Screened(statements[0])


def _read_written(sql: str, engine: Engine, tree: exp.Expr) -> Screened:
    """The text sqlglot wrote from `tree` for the engine: its tokens are checked as the
    engine lexes them, exactly as a text read from a record is, and the tree it was written
    from stands for its parse (no second parse of the text sqlglot itself just wrote)."""
    if len(sql) > MAX_SQL_CHARS:
        return reject(ErrorClass.FORBIDDEN, f"sandbox: statement longer than {MAX_SQL_CHARS}")
    try:
        tokens = engine_dialect(engine).tokenize(sql)
    except SqlglotError as exc:
        return reject(ErrorClass.SYNTAX, f"cannot tokenize as {engine.value}: {first_line_of(exc)}")
    lexical = find_lexical_problem(sql, tokens, engine)
    if lexical:
        return reject(lexical.error_class, lexical.message)
    for token in tokens:
        for comment in token.comments:
            if comment.lstrip().startswith(("!", "M!")):
                return reject(ErrorClass.FORBIDDEN, "sandbox: executable comment (/*! ... */)")
    # A semicolon before the end would start a second statement for the engine.
    kinds = [token.token_type for token in tokens]
    while kinds and kinds[-1] == TokenType.SEMICOLON:
        kinds.pop()
    if TokenType.SEMICOLON in kinds:
        count = kinds.count(TokenType.SEMICOLON) + 1
        return reject(ErrorClass.FORBIDDEN, f"sandbox: exactly one statement allowed, got {count}")
    return Screened(tree)


# What the walk below asks of a node depends on its class alone: the answers per class, found
# once (isinstance against DENIED_NODES' ~30 classes, for every node of every statement, was
# the walk's main cost).
_NESTED, _FUNCTION, _TABLE, _VARIABLE = 1, 2, 4, 8
_KINDS_BY_CLASS: dict[type[exp.Expr], int] = {}


def _classify(cls: type[exp.Expr]) -> int:
    kinds = (
        (_NESTED if issubclass(cls, DENIED_NODES) else 0)
        | (_FUNCTION if issubclass(cls, exp.Func) else 0)
        | (_TABLE if issubclass(cls, exp.Table) else 0)
        | (
            _VARIABLE
            if issubclass(cls, exp.SessionParameter | exp.Parameter | exp.Placeholder)
            else 0
        )
    )
    _KINDS_BY_CLASS[cls] = kinds
    return kinds


def _find_tree_problem(root: exp.Expr) -> str | None:
    """Nested statements, denied functions, qualified table names, variables: one walk of
    the tree for the four, the first of each kind in walk order, reported in that order of
    kinds (a nested statement before a function, and so on)."""
    nested = function = qualified = variable = None
    for node in root.walk():
        kinds = _KINDS_BY_CLASS.get(type(node))
        if kinds is None:
            kinds = _classify(type(node))
        if not kinds:
            continue  # most nodes: columns, literals, identifiers, operators
        if kinds & _NESTED and node is not root:
            nested = f"sandbox: {node.key.upper()} is not allowed inside a statement"
            break  # the first kind reported: nothing found later would come before it
        if function is None and kinds & _FUNCTION:
            function = _find_function_problem(cast(exp.Func, node))
        if qualified is None and kinds & _TABLE:
            qualified = _find_qualified_problem(cast(exp.Table, node))
        if variable is None and kinds & _VARIABLE:
            variable = _find_variable_problem(node)
    return nested or function or qualified or variable


def _find_function_problem(func: exp.Func) -> str | None:
    names = {func.name if isinstance(func, exp.Anonymous) else func.sql_name()}
    names.add(type(func).__name__)
    for name in names:
        if name and is_denied_function(name):
            return f"sandbox: function {name.lower()} is not allowed"
    return None


def _find_qualified_problem(table: exp.Table) -> str | None:
    """Fixture tables are unqualified; a schema/database prefix reaches outside the fixture."""
    if table.args.get("db") or table.args.get("catalog"):
        return f"sandbox: qualified table name {table.sql()} is not allowed"
    return None


def _find_variable_problem(node: exp.Expr) -> str | None:
    """@x and @@x: state that outlives the statement or belongs to the server, not the fixture."""
    if isinstance(node, exp.SessionParameter):
        return f"sandbox: server variable @@{node.name} is not allowed"
    if isinstance(node, exp.Parameter | exp.Placeholder):
        return f"sandbox: variable or parameter {node.sql()} is not allowed"
    return None


def _is_temporary(create: exp.Create) -> bool:
    props = create.args.get("properties")
    return bool(props and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions))


def _find_engine_problem(create: exp.Create) -> str | None:
    props = create.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.EngineProperty) and prop.name.lower() not in MYSQL_TABLE_ENGINES:
            return f"sandbox: table engine {prop.name} is not allowed (InnoDB only)"
    return None


# Syntax MariaDB 10.11 runs and MySQL 8 rejects: valid on MySQL means valid on MySQL 8 too.
MARIADB_ONLY_NODES: dict[type[exp.Expr], str] = {
    exp.Returning: "RETURNING",
    exp.Fetch: "FETCH FIRST ... ROWS",
}


def _find_mariadb_only_problem(root: exp.Expr, engine: Engine) -> str | None:
    if engine is not Engine.MYSQL:
        return None
    for node_type, name in MARIADB_ONLY_NODES.items():
        if root.find(node_type):
            return f"{name} runs on MariaDB but not on MySQL 8; use a form both accept"
    return None


# Table options a fixture may carry on MySQL; DATA/INDEX DIRECTORY, CONNECTION, UNION,
# TABLESPACE and the rest reach files, other servers or other tables.
MYSQL_TABLE_OPTIONS: tuple[type[exp.Expr], ...] = (
    exp.EngineProperty,
    exp.CharacterSetProperty,
    exp.CollateProperty,
    exp.SchemaCommentProperty,
    exp.AutoIncrementProperty,
    exp.RowFormatProperty,
)


def _find_table_option_problem(create: exp.Create, engine: Engine) -> str | None:
    props = create.args.get("properties")
    if engine is not Engine.MYSQL or not props:
        return None
    for prop in props.expressions:
        if not isinstance(prop, MYSQL_TABLE_OPTIONS):
            return f"sandbox: table option {prop.sql(dialect='mysql')[:40]} is not allowed"
    return None
