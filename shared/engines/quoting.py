"""Quote a name only where it must be: SQLite's case-insensitive identifiers on every engine.

SQLite resolves `Date`, `date` and `"Date"` to the same column. Rendered for PostgreSQL, a
quoted `"Date"` would keep its case while every unquoted spelling folds to `date` and misses
it; so a name is written unquoted wherever the target reads it unquoted — not a reserved word
there and made only of letters, digits and underscores — and quoted (case kept) otherwise.
MySQL column names are case-insensitive either way; unquoting only spares needless backticks.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import SqlglotError
from sqlglot.generators.mysql import MySQLGenerator

from proto.common import Engine
from shared.engines.reading import read_sql
from shared.sql.dialects import sqlglot_dialect

_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# pg_get_keywords() catcodes R and T of PostgreSQL 15/16: words that cannot be a bare table or
# column name (tests/engines/test_quoting.py checks the list against the running server).
POSTGRES_RESERVED = _words(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left like
    limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    placing primary references returning right select session_user similar some symmetric table
    tablesample then to trailing true union unique user using variadic verbose when where window
    with"""
)
# MySQL 8's reserved words (sqlglot's list) and those MariaDB 10.11 adds (the test tries every
# word of information_schema.KEYWORDS as a bare name on the running server).
MARIADB_EXTRA_RESERVED = _words(
    """current_role delete_domain_id do_domain_ids ignore_domain_ids master_demote_to_replica
    master_demote_to_slave offset page_checksum parse_vcol_expr portion ref_system_id returning
    sql_buffer_result sql_cache sql_no_cache stats_auto_recalc stats_persistent
    stats_sample_pages"""
)
MYSQL_RESERVED = frozenset(w.lower() for w in MySQLGenerator.RESERVED_KEYWORDS) | (
    MARIADB_EXTRA_RESERVED
)
# SQLite reads almost every keyword as a name where one is expected; these it does not.
SQLITE_RESERVED = _words(
    """add all alter and as autoincrement between case cast check collate commit constraint create
    current_date current_time current_timestamp returning
    default deferrable delete distinct drop else escape except exists foreign from group having
    if in index insert intersect into is isnull join limit not notnull null on or order primary
    references select set table then to transaction union unique update using values when where
    """
)
RESERVED: dict[Engine, frozenset[str]] = {
    Engine.POSTGRES: POSTGRES_RESERVED,
    Engine.MYSQL: MYSQL_RESERVED,
    Engine.SQLITE: SQLITE_RESERVED,
}


def needs_quotes(name: str, target: Engine) -> bool:
    """Must `name` be quoted on `target` to be read as this one name?"""
    return not _BARE.match(name) or name.lower() in RESERVED[target]


def unquote_where_safe(tree: exp.Expr, target: Engine) -> exp.Expr:
    """Drop the quotes of every identifier `target` reads the same way bare (in place)."""
    for identifier in tree.find_all(exp.Identifier):
        if identifier.quoted and not needs_quotes(identifier.name, target):
            identifier.set("quoted", False)
    return tree


def quote_name(name: str, target: Engine) -> str:
    """`name` as `target` must spell it: bare where safe, else in the target's quotes."""
    if not needs_quotes(name, target):
        return name
    if target is Engine.MYSQL:
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def requote_identifiers(
    sql: str, source: Engine, target: Engine, known: frozenset[str] | None = None
) -> str:
    """The same text with only its quoted identifiers respelled for `target`.

    The portable policy's one text, made readable on a stock MySQL (where "x" is a string)
    and on PostgreSQL (where "Date" keeps its case): every other character stays as written.
    With `known` (lower-cased table, column and alias names) a double-quoted SQLite name that
    names nothing becomes the string literal SQLite itself falls back to ("English" in
    `WHERE language = "English"`). Text the source cannot tokenize is returned unchanged.
    """
    if source == target:
        return sql
    try:
        tokens = sqlglot.tokenize(sql, read=sqlglot_dialect(source))
    except SqlglotError:
        return sql
    pieces: list[str] = []
    position = 0
    for token in tokens:
        if token.token_type != TokenType.IDENTIFIER:
            continue
        pieces.append(sql[position : token.start])
        if _is_sqlite_string_fallback(sql[token.start], token.text, source, known):
            pieces.append(string_literal(token.text, target))
        else:
            pieces.append(quote_name(token.text, target))
        position = token.end + 1
    pieces.append(sql[position:])
    return "".join(pieces)


def _is_sqlite_string_fallback(
    quote: str, name: str, source: Engine, known: frozenset[str] | None
) -> bool:
    if not known or source is not Engine.SQLITE or quote != '"':
        return False
    return name.lower() not in known


def string_literal(text: str, target: Engine) -> str:
    """A string literal of `target` (MySQL reads backslash escapes in strings)."""
    text = text.replace("'", "''")
    if target is Engine.MYSQL:
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


def find_query_names(sql: str, dialect: Engine) -> frozenset[str]:
    """Lower-cased names a query defines itself: column and table aliases, CTE names.

    From the record's one reading of the text (the screen of the dataset's own dialect reads
    it too); the trees are only looked at."""
    try:
        trees = read_sql(sql, dialect).statements
    except RecursionError:  # deep nesting is the SQL's own error, judged later
        return frozenset()
    names: set[str] = set()
    for tree in trees:
        if tree is None:
            continue
        for node in tree.find_all(exp.Alias, exp.TableAlias):
            names.add(node.alias.lower() if isinstance(node, exp.Alias) else node.name.lower())
            if isinstance(node, exp.TableAlias):
                names.update(c.name.lower() for c in node.columns)
    return frozenset(names)
