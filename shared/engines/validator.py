"""Validate one query on every engine at once: the seed-000 levels plus non-empty and agreement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import TypeVar

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck, Validation
from shared.engines.base import SqlEngine
from shared.engines.disagreement import explain_disagreement
from shared.engines.fixture import Fixture
from shared.engines.nesting import is_nested_too_deeply
from shared.engines.quoting import find_query_names, requote_identifiers
from shared.engines.render import find_schema_names, render_sql

T = TypeVar("T")


class Validator:
    def __init__(self, engines: Mapping[Engine, SqlEngine]) -> None:
        self._engines = dict(engines)

    @property
    def engines(self) -> tuple[Engine, ...]:
        return tuple(self._engines)

    async def validate(
        self,
        fixture: Fixture,
        sql: str,
        *,
        sql_dialect: Engine = Engine.SQLITE,
        level: Level = Level.FULL,
        policy: Policy = Policy.PORTABLE,
        allow_writes: bool = False,
    ) -> tuple[Validation, dict[Engine, str]]:
        """Checks per engine, non_empty, results_agree; and the SQL text each engine ran.

        portable: every engine gets `sql` verbatim but for its quoted identifiers, spelled as
        that engine reads them (a stock MySQL reads "x" as a string). transpiled: each gets
        sqlglot's rendering from `sql_dialect`. The fixture is always rendered per engine.
        Raises EngineUnavailable (retryable) when an engine is down; invalid SQL is a failed
        check, never an exception. Disagreeing results come with their typed likely causes.
        """
        if is_nested_too_deeply(sql):
            # Every reading would stall the event loop in sqlglot's recursion; each engine
            # refuses the text at once (SqlEngine.check).
            texts = dict.fromkeys(self._engines, sql)
        else:
            known = find_schema_names(fixture) | find_query_names(sql, sql_dialect)
            texts = {
                engine: (
                    requote_identifiers(sql, sql_dialect, engine, known)
                    if policy is Policy.PORTABLE
                    else render_sql(sql, sql_dialect, engine)
                )
                for engine in self._engines
            }
        checks = await _gather_all(
            {
                engine: runner.check(fixture, texts[engine], level, allow_writes=allow_writes)
                for engine, runner in self._engines.items()
            }
        )
        ordered = [checks[engine] for engine in self._engines]
        agree = _compare_digests(ordered, level)
        validation = Validation(
            level=level,
            policy=policy,
            checks=ordered,
            non_empty=_find_non_empty(ordered, level),
            results_agree=agree,
            disagreement=(
                explain_disagreement(ordered, sql, sql_dialect, fixture.rows)
                if agree is False
                else None
            ),
        )
        return validation, texts

    async def check_fixture(self, fixture: Fixture) -> dict[Engine, EngineCheck]:
        """Schema validity alone (DDL and rows execute), per engine."""
        return await _gather_all(
            {engine: runner.check_fixture(fixture) for engine, runner in self._engines.items()}
        )


def _find_non_empty(checks: list[EngineCheck], level: Level) -> bool | None:
    ran = [c for c in checks if c.ok and c.row_count is not None]
    if level is not Level.FULL or not ran:
        return None
    return all((c.row_count or 0) > 0 for c in ran)


def _compare_digests(checks: list[EngineCheck], level: Level) -> bool | None:
    """All engines that ran OK produced the same digest; None with fewer than two."""
    digests = [c.digest for c in checks if c.ok and c.digest is not None]
    if level is not Level.FULL or len(digests) < 2:
        return None
    return len(set(digests)) == 1


async def _gather_all(calls: Mapping[Engine, Awaitable[T]]) -> dict[Engine, T]:
    """Run concurrently and let every call finish before re-raising the first error."""
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return dict(zip(calls, results, strict=True))  # type: ignore[arg-type]
