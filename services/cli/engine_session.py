"""Engines for the output commands (pairs, score): the servers a command needs, started when no
DSN is configured, opened for one async job and closed whatever happens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from proto.common import Engine
from services.cli.common import ALL_ENGINES, engine_list_option
from services.cli.validation_run import CLOSE_TIMEOUT_S, build_settings, close_within, open_each
from shared.runtime.servers import servers_for
from shared.runtime.signals import cancel_on_terminate

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def engine_options(command: F) -> F:
    options = [
        click.option(
            "--engines",
            default=ALL_ENGINES,
            show_default=True,
            callback=engine_list_option,
            help="Comma-separated engines to execute on.",
        ),
        click.option("--postgres-dsn", envvar="SQLSYNTH_POSTGRES_DSN", help="Admin DSN."),
        click.option("--mysql-dsn", envvar="SQLSYNTH_MYSQL_DSN", help="Admin DSN."),
        click.option(
            "--statement-timeout-ms",
            type=click.IntRange(min=50),
            help="Per-query limit (engine default: 2000).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_on_engines(
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    job: Callable[[dict[Engine, SqlEngine]], Awaitable[T]],
    statement_timeout_ms: int | None = None,
) -> T:
    """Run `job` with the opened engines; an engine that cannot be reached is a
    one-line error (a score or a pair judged on fewer engines than asked would mislead)."""
    configured = {Engine.POSTGRES: postgres_dsn, Engine.MYSQL: mysql_dsn}
    unavailable: dict[Engine, str] = {}

    async def main(dsns: dict[Engine, str], overrides: dict[str, Any]) -> T:
        async with cancel_on_terminate():
            opened = await open_each(build_settings(dsns, overrides), engines, unavailable)
            try:
                if unavailable:
                    reasons = "; ".join(f"{e.value}: {r}" for e, r in unavailable.items())
                    raise click.ClickException(f"engines unavailable: {reasons}")
                return await job(opened)
            finally:
                await close_within(opened, CLOSE_TIMEOUT_S)

    with servers_for(engines, configured) as servers:
        unavailable.update(servers.unavailable)
        overrides: dict[str, Any] = {"statement_timeout_ms": statement_timeout_ms}
        if not any(configured.get(e) for e in engines):
            overrides["drop_on_close"] = False  # private servers are deleted at the end anyway
        return asyncio.run(main(servers.dsns, overrides))
