"""sqlglot's reading of one SQL text in one engine's dialect, made once per record and text.

The sandbox screens a fixture statement (the lexical check on the tokens, the allow-list on
the tree) and the renderer reads the same statement for the names it creates: both used to
tokenize and parse the same text. A reading is a pure function of (text, engine), so it is
remembered within one record's validation (record_scope.py) — never across records: another
record with the same text is read and screened again. Callers must treat its trees as
read-only (copy before changing one).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from proto.common import Engine
from shared.engines.lexing import LexProblem, find_lexical_problem
from shared.record_scope import remember
from shared.sql.dialects import sqlglot_dialect


@dataclass(frozen=True, eq=False)
class Reading:
    """What sqlglot made of a text, and what the engine's lexer would disagree with.

    The lexical verdict and the comment scan look at the tokens before the parser sees them,
    in the order the screen has always judged them (sandbox._parse_single).
    """

    # As the parser returns them: None stands for an empty statement between semicolons.
    statements: tuple[exp.Expr | None, ...] = ()
    tokenize_error: str | None = None
    lexical: LexProblem | None = None
    # MySQL runs the text of /*! ... */ and MariaDB of /*M! ... */: code, not comment.
    executable_comment: bool = False
    parse_error: str | None = None

    @property
    def first(self) -> exp.Expr | None:
        """The first statement, as sqlglot.parse_one returns it (None if there is none)."""
        if self.tokenize_error or self.parse_error or not self.statements:
            return None
        return self.statements[0]


@cache
def engine_dialect(engine: Engine) -> Dialect:
    """One sqlglot Dialect instance per engine (get_or_raise builds a new one per name)."""
    return Dialect.get_or_raise(sqlglot_dialect(engine))


def read_sql(sql: str, engine: Engine) -> Reading:
    """Tokenize, check the tokens against the engine's lexer, parse the same tokens: once per
    text and engine within the record being validated (afresh outside one).

    RecursionError (text nested too deeply for sqlglot) propagates, and is not remembered.
    """
    return remember(("read", sql, engine), lambda: read_afresh(sql, engine))


def read_afresh(sql: str, engine: Engine) -> Reading:
    """The reading itself, never remembered."""
    dialect = engine_dialect(engine)
    try:
        tokens = dialect.tokenize(sql)
    except SqlglotError as exc:
        return Reading(tokenize_error=first_line_of(exc))
    lexical = find_lexical_problem(sql, tokens, engine)
    executable = any(
        comment.lstrip().startswith(("!", "M!")) for token in tokens for comment in token.comments
    )
    try:
        statements = tuple(dialect.parser().parse(tokens, sql))
    except SqlglotError as exc:
        return Reading(
            tokenize_error=None,
            lexical=lexical,
            executable_comment=executable,
            parse_error=first_line_of(exc),
        )
    return Reading(statements, None, lexical, executable)


def first_line_of(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
