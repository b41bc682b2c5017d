"""Validate one query on every engine at once: the seed-000 levels plus non-empty and agreement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping

from proto.common import Engine, Level, Policy
from proto.sample import EngineCheck, ErrorClass, Validation
from shared.engines.base import SqlEngine
from shared.engines.disagreement import explain_disagreement
from shared.engines.fixture import Fixture
from shared.engines.nesting import is_nested_too_deeply
from shared.engines.quoting import find_query_names, requote_identifiers
from shared.engines.render import find_schema_names, render_sql
from shared.errors import EngineUnavailable
from shared.record_scope import record_scope


class PartialChecks(EngineUnavailable):
    """Some engines could not check: the verdicts of the others, kept.

    Still an EngineUnavailable, so the validator service retries the sample as before; callers
    that report (the CLI, a rejected sample) show each engine's own verdict, the unavailable
    ones as ENGINE_UNAVAILABLE checks. `checks` has every engine, in the validator's order.
    """

    def __init__(self, unavailable: Mapping[Engine, str], checks: Mapping[Engine, EngineCheck]):
        reasons = "; ".join(reason for reason in unavailable.values())
        super().__init__(reasons)
        self.unavailable = dict(unavailable)
        self.checks = dict(checks)


class PartialValidation(PartialChecks):
    """validate() with some engine unavailable: the Validation of all, and the texts run."""

    def __init__(
        self,
        unavailable: Mapping[Engine, str],
        validation: Validation,
        sql_by_engine: Mapping[Engine, str],
    ) -> None:
        super().__init__(unavailable, {check.engine: check for check in validation.checks})
        self.validation = validation
        self.sql_by_engine = dict(sql_by_engine)


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
        Raises PartialValidation (an EngineUnavailable: retryable) when an engine is down,
        carrying the other engines' verdicts; invalid SQL is a failed check, never an exception.
        Disagreeing results come with their typed likely causes. Readings and screens are
        shared within this record only (record_scope.py; the caller's scope if it opened one).
        """
        with record_scope():
            return await self._validate(fixture, sql, sql_dialect, level, policy, allow_writes)

    async def _validate(
        self,
        fixture: Fixture,
        sql: str,
        sql_dialect: Engine,
        level: Level,
        policy: Policy,
        allow_writes: bool,
    ) -> tuple[Validation, dict[Engine, str]]:
        if is_nested_too_deeply(sql):
            # Every reading would stall the event loop in sqlglot's recursion; each engine
            # refuses the text at once (SqlEngine.check).
            texts = dict.fromkeys(self._engines, sql)
        else:
            # The names only matter when some engine reads the text in another dialect
            # (requote_identifiers returns the text as is for its own dialect): finding
            # them parses the query and the DDL again, so SQLite alone skips it.
            respelled = policy is Policy.PORTABLE and any(e != sql_dialect for e in self._engines)
            known = (
                find_schema_names(fixture) | find_query_names(sql, sql_dialect)
                if respelled
                else frozenset()
            )
            texts = {
                engine: (
                    requote_identifiers(sql, sql_dialect, engine, known)
                    if policy is Policy.PORTABLE
                    else render_sql(sql, sql_dialect, engine)
                )
                for engine in self._engines
            }
        checks, unavailable = await _gather_checks(
            {
                engine: runner.check(fixture, texts[engine], level, allow_writes=allow_writes)
                for engine, runner in self._engines.items()
            },
            level,
            texts,
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
        if unavailable:
            raise PartialValidation(unavailable, validation, texts)
        return validation, texts

    async def check_fixture(self, fixture: Fixture) -> dict[Engine, EngineCheck]:
        """Schema validity alone (DDL and rows execute), per engine. Raises PartialChecks
        (with the other engines' verdicts) when an engine is down."""
        with record_scope():
            checks, unavailable = await _gather_checks(
                {engine: runner.check_fixture(fixture) for engine, runner in self._engines.items()},
                Level.SCHEMA,
            )
        if unavailable:
            raise PartialChecks(unavailable, checks)
        return checks


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


async def _gather_checks(
    calls: Mapping[Engine, Awaitable[EngineCheck]],
    level: Level,
    texts: Mapping[Engine, str] | None = None,
) -> tuple[dict[Engine, EngineCheck], dict[Engine, str]]:
    """Run concurrently; an engine that is unavailable gets an ENGINE_UNAVAILABLE check (and
    its reason in the second dict) while the others keep theirs. Anything else (a bug) is
    re-raised once every call has finished."""
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    checks: dict[Engine, EngineCheck] = {}
    unavailable: dict[Engine, str] = {}
    for engine, result in zip(calls, results, strict=True):
        if isinstance(result, EngineUnavailable):
            reason = str(result) or type(result).__name__
            unavailable[engine] = reason
            checks[engine] = EngineCheck(
                engine=engine,
                level=level,
                ok=False,
                error_class=ErrorClass.ENGINE_UNAVAILABLE,
                message=reason[:500],
                sql=(texts or {}).get(engine, ""),
            )
        elif isinstance(result, BaseException):
            raise result
        else:
            checks[engine] = result
    return checks, unavailable
