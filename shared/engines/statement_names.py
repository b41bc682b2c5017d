"""The words a statement calls itself, for messages ("CREATE ROLE", "SHUTDOWN").

sqlglot's node type is not always the statement: a lone keyword it does not know parses as a
column (SHUTDOWN → Column) and text it cannot read as a Command (CREATE ROLE x → Command
"CREATE"). A refusal names what the record wrote, read from its own leading keywords.
"""

from __future__ import annotations

import re

from sqlglot import exp

# Leading comments and whitespace, then the keywords.
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_WORD = re.compile(r"[A-Za-z_]+")
# Verbs whose object is named by the next word (CREATE ROLE, DROP USER, ALTER SYSTEM ...).
_TWO_WORD_VERBS = frozenset(
    {"CREATE", "DROP", "ALTER", "SHOW", "LOAD", "LOCK", "FLUSH", "RESET", "PURGE", "INSTALL"}
)
# Node types that are a statement of their own, named well enough by sqlglot.
_STATEMENT_NODES: tuple[type[exp.Expr], ...] = (
    exp.Select,
    exp.SetOperation,
    exp.Insert,
    exp.Update,
    exp.Delete,
)
# What a two-word verb may act on: with one of these, the text is a statement an engine knows
# (policy decides); with anything else (CREATE TABEL) it is a typo (syntax decides).
_OBJECTS = frozenset(
    {
        "ROLE",
        "USER",
        "DATABASE",
        "SCHEMA",
        "FUNCTION",
        "PROCEDURE",
        "TRIGGER",
        "EVENT",
        "SERVER",
        "EXTENSION",
        "TABLESPACE",
        "VIEW",
        "SEQUENCE",
        "TYPE",
        "DOMAIN",
        "RULE",
        "POLICY",
        "PUBLICATION",
        "SUBSCRIPTION",
        "AGGREGATE",
        "OPERATOR",
        "CAST",
        "COLLATION",
        "LANGUAGE",
        "MATERIALIZED",
        "TEMPORARY",
        "TEMP",
        "UNIQUE",
        "VIRTUAL",
        "TABLE",
        "INDEX",
        "SYSTEM",
        "LOGFILE",
        "PLUGIN",
        "STATUS",
        "VARIABLES",
        "GRANTS",
        "PROCESSLIST",
        "TABLES",
        "DATABASES",
        "DATA",
        "OR",
        "DEFINER",
        "ALGORITHM",
        "SQL",
        "RECURSIVE",
        "ALL",
        "MASTER",
        "SLAVE",
        "REPLICA",
        "BINARY",
        "LOGS",
        "PRIVILEGES",
        "HOSTS",
        "QUERY",
        "CACHE",
        "SOUNDNAME",
        "CONVERSION",
        "STATISTICS",
        "TEXT",
        "FOREIGN",
        "ACCESS",
        "GLOBAL",
        "SESSION",
        "LOCAL",
    }
)


def name_statement(root: exp.Expr, sql: str) -> str:
    """CREATE ROLE, SHUTDOWN, DROP TABLE ...: the statement as the record spelled it."""
    if isinstance(root, exp.Create | exp.Drop):
        kind = str(root.args.get("kind") or "").upper()
        return f"{str(root.key).upper()} {kind}".strip()
    if isinstance(root, _STATEMENT_NODES):
        return str(root.key).upper()
    words: list[str] = _WORD.findall(_LEADING_NOISE.sub("", sql, count=1)[:200])[:2]
    if not words:
        return str(root.key).upper()
    first = words[0].upper()
    if first in _TWO_WORD_VERBS and len(words) > 1:
        return f"{first} {words[1].upper()}"
    return first


def is_known_statement(sql: str) -> bool:
    """The text starts with a statement verb an engine knows (so it is policy, not syntax)."""
    words = [w.upper() for w in _WORD.findall(_LEADING_NOISE.sub("", sql, count=1)[:200])[:2]]
    if not words or words[0] not in _KNOWN_VERBS:
        return False
    return words[0] not in _TWO_WORD_VERBS or (len(words) > 1 and words[1] in _OBJECTS)


_KNOWN_VERBS = _TWO_WORD_VERBS | frozenset(
    {
        "GRANT",
        "REVOKE",
        "SET",
        "SHUTDOWN",
        "KILL",
        "TRUNCATE",
        "RENAME",
        "ANALYZE",
        "OPTIMIZE",
        "REPAIR",
        "CHECKPOINT",
        "VACUUM",
        "REINDEX",
        "CLUSTER",
        "COPY",
        "CALL",
        "DO",
        "HANDLER",
        "LISTEN",
        "NOTIFY",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "BACKUP",
        "RESTORE",
        "USE",
    }
)
