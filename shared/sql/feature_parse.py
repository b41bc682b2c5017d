"""Parse SQL once with sqlglot: resolve the dialect, tokenize, parse, and turn errors into text.

The feature extractor, the structural pattern and the DDL reader all go through here, so a
statement is tokenized exactly once and its token list doubles as the token count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from proto.common import Engine
from shared.sql.dialects import parse_engine, sqlglot_dialect

# sqlglot underlines the offending token with ANSI codes; error text goes into JSON, not a tty.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Roots that are statements. sqlglot happily parses a bare expression ("foo bar" is the alias
# foo AS bar), which for a query field means garbage, not SQL.
_STATEMENT_NAMES = (
    "Query DDL DML Drop Alter Command Pragma Describe Show Transaction Commit Rollback Set Use "
    "Values TruncateTable Analyze Grant Revoke Copy Cache Uncache Refresh Kill Summarize"
)
STATEMENT_TYPES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name) for name in _STATEMENT_NAMES.split() if hasattr(exp, name)
)


# Token types whose text may hold spaces but which are one token: names and literals.
_ATOMIC_TOKEN_NAMES = (
    "STRING IDENTIFIER NUMBER VAR NATIONAL_STRING RAW_STRING HEREDOC_STRING BIT_STRING"
    " HEX_STRING BYTE_STRING UNICODE_STRING NATIONAL_RAW_STRING"
)
_ATOMIC_TOKENS = frozenset(
    getattr(TokenType, name) for name in _ATOMIC_TOKEN_NAMES.split() if hasattr(TokenType, name)
)


@dataclass(frozen=True)
class ParsedSql:
    """Every statement of one SQL text, plus the number of lexical tokens (semicolons excluded)."""

    statements: tuple[exp.Expr, ...]
    tokens: int


def resolve_dialect(dialect: Engine | str) -> str:
    """Return the sqlglot dialect name for an engine or a name users type (postgresql, mariadb).

    Names sqlglot knows but sqlsynth does not execute on (e.g. "tsql" from a trace log) are
    accepted too, so seeds from other engines can still be measured.
    """
    if isinstance(dialect, Engine):
        return sqlglot_dialect(dialect)
    try:
        return sqlglot_dialect(parse_engine(dialect))
    except ValueError:
        name = dialect.strip().lower()
        try:
            get_dialect(name)
        except ValueError as exc:
            raise ValueError(f"unknown SQL dialect {dialect!r}") from exc
        return name


@cache
def get_dialect(name: str) -> Dialect:
    return Dialect.get_or_raise(name)


def tokenize_sql(sql: str, dialect_name: str) -> list[Token]:
    """Tokenize; raises sqlglot's TokenError on e.g. an unterminated string."""
    return get_dialect(dialect_name).tokenize(sql)


def parse_tokens(tokens: list[Token], sql: str, dialect_name: str) -> list[exp.Expr]:
    """Parse an already tokenized text; empty statements (stray semicolons) are dropped."""
    parsed = get_dialect(dialect_name).parser().parse(tokens, sql)
    return [statement for statement in parsed if statement is not None]


def parse_sql(sql: str, dialect_name: str) -> ParsedSql:
    """Tokenize and parse once; raises sqlglot's SqlglotError (or ValueError when empty)."""
    tokens = tokenize_sql(sql, dialect_name)
    statements = parse_tokens(tokens, sql, dialect_name)
    if not statements:
        raise ValueError("empty SQL: no statement found")
    for statement in statements:
        if not isinstance(statement, STATEMENT_TYPES):
            raise ValueError(
                f"not a SQL statement: {_snippet(statement.sql(dialect=dialect_name))!r} parses as"
                f" a bare expression ({type(statement).__name__})"
            )
    return ParsedSql(tuple(statements), count_tokens(tokens))


def count_tokens(tokens: list[Token]) -> int:
    """Lexical tokens, semicolons excluded. sqlglot lexes some keyword pairs (GROUP BY, ORDER BY,
    PARTITION BY, PRIMARY KEY) as one token; they count per word, so the count does not depend
    on which pairs a sqlglot version happens to fuse. A quoted name or string counts one."""
    count = 0
    for token in tokens:
        kind = token.token_type
        if kind is TokenType.SEMICOLON:
            continue
        count += 1 if kind in _ATOMIC_TOKENS else max(1, len(token.text.split()))
    return count


def _snippet(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(exc: BaseException) -> str:
    """One readable line for a parse failure: sqlglot's own description and position."""
    if isinstance(exc, ParseError) and exc.errors:
        first = exc.errors[0]
        where = f" (line {first.get('line')}, col {first.get('col')})" if first.get("line") else ""
        text = f"{first.get('description') or 'invalid SQL'}{where}"
    elif isinstance(exc, SqlglotError | ValueError):
        text = str(exc)
    else:
        # Not a documented sqlglot failure: keep the type so a parser bug stays recognisable.
        text = f"{type(exc).__name__}: {exc}"
    return _ANSI.sub("", " ".join(text.split()))[:500]
