"""Read SQL text the way the engine will, and refuse what sqlglot reads differently.

The screen (sandbox.py) judges sqlglot's parse tree. That is only safe when sqlglot cuts the
text into the same strings, identifiers and comments as the engine's own lexer: one quote or
comment boundary read differently and the rest of the statement is invisible to the allow-list
while the engine runs it (under ANSI_QUOTES, `"a\\"` was an identifier to MariaDB and the start
of a string to sqlglot). This module is the round-trip check: every character of the text must
be accounted for, under the engine's rules, by one of sqlglot's tokens or by whitespace and
comments between them — the gaps between tokens are re-scanned with the engine's comment rules,
and every quoted token is re-scanned with the engine's quoting rules and must end exactly where
sqlglot's token ends. Anything else is refused, never guessed.

The rules are those of the session modes the engines run under (provision.py): MySQL with its
default sql_mode (no ANSI_QUOTES, backslash escapes on), PostgreSQL with
standard_conforming_strings on, SQLite as shipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot.tokenizer_core import Token, TokenType

from proto.common import Engine
from proto.sample import ErrorClass

# Whitespace every engine skips between tokens (MySQL also skips \v, PostgreSQL 15 does not).
WHITESPACE = frozenset(" \t\n\r\f")
_QUOTED_TOKENS = frozenset(
    {
        TokenType.STRING,
        TokenType.NATIONAL_STRING,
        TokenType.HEX_STRING,
        TokenType.BIT_STRING,
        TokenType.BYTE_STRING,
        TokenType.RAW_STRING,
        TokenType.HEREDOC_STRING,
        TokenType.UNICODE_STRING,
    }
)


@dataclass(frozen=True)
class LexRules:
    """How one engine (under our session modes) cuts text into strings and comments."""

    string_quotes: str
    # Open → close character of a quoted identifier.
    identifier_quotes: dict[str, str]
    # Backslash escapes in plain string literals (MySQL without NO_BACKSLASH_ESCAPES).
    backslash_escapes: bool
    line_comments: tuple[str, ...]
    # MySQL: "--" starts a comment only when followed by whitespace (else 1--1 is 1 - -1).
    dash_comment_needs_space: bool
    # PostgreSQL nests /* */; MySQL and SQLite end a block comment at the first */.
    nested_block_comments: bool
    # MySQL runs /*! ... */ and MariaDB /*M! ... */: code, not comment.
    executable_comments: tuple[str, ...] = ()
    # Characters that end a line comment (PostgreSQL's scanner stops at \r too).
    line_ends: str = "\n"


LEX_RULES: dict[Engine, LexRules] = {
    Engine.MYSQL: LexRules(
        string_quotes="'\"",
        identifier_quotes={"`": "`"},
        backslash_escapes=True,
        line_comments=("--", "#"),
        dash_comment_needs_space=True,
        nested_block_comments=False,
        executable_comments=("/*!", "/*M!"),
    ),
    Engine.POSTGRES: LexRules(
        string_quotes="'",
        identifier_quotes={'"': '"'},
        backslash_escapes=False,  # standard_conforming_strings = on; E'...' has them
        line_comments=("--",),
        dash_comment_needs_space=False,
        nested_block_comments=True,
        line_ends="\r\n",
    ),
    Engine.SQLITE: LexRules(
        string_quotes="'",
        identifier_quotes={'"': '"', "`": "`", "[": "]"},
        backslash_escapes=False,
        line_comments=("--",),
        dash_comment_needs_space=False,
        nested_block_comments=False,
    ),
}


# Characters that open a string or identifier (or escape), none of which may stand inside an
# unquoted token; a set per engine, made once (every token of every text is tested).
QUOTE_CHARS: dict[Engine, frozenset[str]] = {
    engine: frozenset((*rules.string_quotes, *rules.identifier_quotes, "\\"))
    for engine, rules in LEX_RULES.items()
}


@dataclass(frozen=True)
class LexProblem:
    error_class: ErrorClass
    message: str


def find_lexical_problem(sql: str, tokens: Sequence[Token], engine: Engine) -> LexProblem | None:
    """None when the engine's lexer and sqlglot's tokens account for the same characters."""
    rules = LEX_RULES[engine]
    position = 0
    for token in tokens:
        problem = _check_gap(sql, position, token.start, rules, engine) or _check_token(
            sql, token, rules, engine
        )
        if problem:
            return problem
        position = token.end + 1
    return _check_gap(sql, position, len(sql), rules, engine)


def _check_gap(
    sql: str, start: int, end: int, rules: LexRules, engine: Engine
) -> LexProblem | None:
    """Between two tokens only whitespace and comments, ending inside the gap, may stand."""
    i = start
    while i < end:
        char = sql[i]
        if char in WHITESPACE:
            i += 1
            continue
        if sql.startswith("/*", i):
            if sql.startswith(rules.executable_comments, i):
                return _forbidden("executable comment (/*! ... */)")
            if sql.startswith("/*+", i):
                # A comment here, a hint MySQL 8 runs: the same text gets one verdict everywhere.
                return _forbidden("an optimizer hint (/*+ ... */)")
            close = _end_of_block_comment(sql, i, rules.nested_block_comments)
            if close is None or close > end:
                return _unreadable(engine, "a /* comment ends elsewhere for the engine")
            i = close
            continue
        line = next((p for p in rules.line_comments if sql.startswith(p, i)), None)
        if line is not None:
            after = sql[i + len(line) : i + len(line) + 1]
            if line == "--" and rules.dash_comment_needs_space and after not in ("", *WHITESPACE):
                return _unreadable(engine, '"--" not followed by a space is no comment there')
            ends = [n for n in (sql.find(c, i) for c in rules.line_ends) if n != -1]
            close = min(ends) if ends else len(sql)
            if close > end:
                return _unreadable(engine, "a line comment ends elsewhere for the engine")
            i = close
            continue
        if char == "\0" or (ord(char) < 32 and char not in WHITESPACE):
            return LexProblem(ErrorClass.SYNTAX, f"control character {ord(char):#04x} in SQL")
        return _unreadable(engine, f"text at offset {i} belongs to no token")
    return None


def _check_token(sql: str, token: Token, rules: LexRules, engine: Engine) -> LexProblem | None:
    text = sql[token.start : token.end + 1]
    if token.token_type == TokenType.HINT:
        # MySQL 8 runs hints (SET_VAR changes session settings); MariaDB reads a comment.
        return _forbidden("an optimizer hint (/*+ ... */)")
    if token.token_type == TokenType.IDENTIFIER:
        return _check_quoted_identifier(sql, token, rules, engine)
    if token.token_type in _QUOTED_TOKENS:
        return _check_string(sql, token, rules, engine)
    if not QUOTE_CHARS[engine].isdisjoint(text):
        return _unreadable(engine, f"a quote inside the token {text[:20]!r}")
    if "\0" in text:
        return LexProblem(ErrorClass.SYNTAX, "control character 0x00 in SQL")
    return None


def _check_quoted_identifier(
    sql: str, token: Token, rules: LexRules, engine: Engine
) -> LexProblem | None:
    text = sql[token.start : token.end + 1]
    close = rules.identifier_quotes.get(text[:1])
    if close is None:
        return _unreadable(engine, f"identifier {text[:20]!r} is not quoted the engine's way")
    if "\\" in text:
        # Engines differ on it (and did: ANSI_QUOTES); no schema of ours needs one.
        return _forbidden("backslash inside a quoted identifier")
    if _end_of_quoted(sql, token.start, close, backslash=False) != token.end + 1:
        return _unreadable(engine, f"identifier {text[:20]!r} ends elsewhere for the engine")
    return None


def _check_string(sql: str, token: Token, rules: LexRules, engine: Engine) -> LexProblem | None:
    text = sql[token.start : token.end + 1]
    if engine is Engine.POSTGRES and text.startswith("$"):
        tag = text[: text.index("$", 1) + 1] if "$" in text[1:] else ""
        if tag and len(text) >= 2 * len(tag) and text.endswith(tag):
            return None
        return _unreadable(engine, "a dollar-quoted string ends elsewhere for the engine")
    offset = next((n for n, c in enumerate(text) if c in rules.string_quotes), None)
    if offset is None:
        return _unreadable(engine, f"string {text[:20]!r} is not quoted the engine's way")
    prefix = text[:offset].upper()
    # PostgreSQL reads backslash escapes only in E'...' strings.
    backslash = rules.backslash_escapes or (engine is Engine.POSTGRES and prefix.endswith("E"))
    start = token.start + offset
    if _end_of_quoted(sql, start, sql[start], backslash=backslash) != token.end + 1:
        return _unreadable(engine, f"string {text[:20]!r} ends elsewhere for the engine")
    return None


def _end_of_quoted(sql: str, start: int, close: str, *, backslash: bool) -> int | None:
    """Index just past the closing quote of the literal opening at `start` (doubled = escaped)."""
    i = start + 1
    while i < len(sql):
        char = sql[i]
        if backslash and char == "\\":
            i += 2
            continue
        if char == close:
            if sql.startswith(close * 2, i) and close != "]":
                i += 2
                continue
            return i + 1
        i += 1
    return None


def _end_of_block_comment(sql: str, start: int, nested: bool) -> int | None:
    depth, i = 0, start
    while i < len(sql):
        if sql.startswith("/*", i) and (nested or depth == 0):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return None


def _forbidden(what: str) -> LexProblem:
    return LexProblem(ErrorClass.FORBIDDEN, f"sandbox: {what} is not allowed")


def _unreadable(engine: Engine, why: str) -> LexProblem:
    return LexProblem(
        ErrorClass.FORBIDDEN,
        f"sandbox: cannot read this SQL the way {engine.value} reads it ({why})",
    )
