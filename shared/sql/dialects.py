"""Engines as data: how each engine is spelled for sqlglot and what it cannot do."""

from __future__ import annotations

from dataclasses import dataclass

from proto.common import Engine, JoinKind


@dataclass(frozen=True)
class DialectTraits:
    sqlglot_name: str
    # Join kinds the engine executes; MySQL/MariaDB have no FULL OUTER JOIN.
    join_kinds: frozenset[JoinKind]
    quote: str


DIALECTS: dict[Engine, DialectTraits] = {
    Engine.SQLITE: DialectTraits("sqlite", frozenset(JoinKind), '"'),
    Engine.POSTGRES: DialectTraits("postgres", frozenset(JoinKind), '"'),
    Engine.MYSQL: DialectTraits(
        "mysql", frozenset({JoinKind.INNER, JoinKind.LEFT, JoinKind.RIGHT, JoinKind.CROSS}), "`"
    ),
}


def sqlglot_dialect(engine: Engine) -> str:
    return DIALECTS[engine].sqlglot_name


def parse_engine(name: str) -> Engine:
    """Accept the names users type (postgresql, pg, mariadb) and return the engine."""
    aliases = {"postgresql": "postgres", "pg": "postgres", "mariadb": "mysql", "sqlite3": "sqlite"}
    key = aliases.get(name.strip().lower(), name.strip().lower())
    try:
        return Engine(key)
    except ValueError as exc:
        known = ", ".join(e.value for e in Engine)
        raise ValueError(f"unknown engine {name!r} (known: {known})") from exc


def parse_engine_list(text: str) -> list[Engine]:
    """`sqlite,postgres,mysql` (aliases like pg/mariadb accepted) in the order given, no repeats."""
    engines: list[Engine] = []
    for part in text.split(","):
        if not part.strip():
            continue
        engine = parse_engine(part)
        if engine not in engines:
            engines.append(engine)
    if not engines:
        raise ValueError("no engine given")
    return engines
