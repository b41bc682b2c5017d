"""Database servers for one command's run: the DSNs the user gave, or a private LocalStack.

When no DSN is configured for PostgreSQL or MySQL, the caller gets a private LocalStack for its
own run, stopped at the end, on Ctrl-C and on SIGTERM too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from proto.common import Engine
from shared.runtime.local import THROWAWAY_STOP_GRACE_S, LocalStack
from shared.runtime.signals import terminate_as_interrupt

# Engines that live in a server; SQLite runs in-process and needs none.
SERVER_NAMES: dict[Engine, str] = {Engine.POSTGRES: "postgres", Engine.MYSQL: "mysql"}


@dataclass
class ServerDsns:
    """Admin DSNs per engine, whether given by the user or started here, and what failed."""

    dsns: dict[Engine, str] = field(default_factory=dict)
    unavailable: dict[Engine, str] = field(default_factory=dict)
    stack: LocalStack | None = None


@contextlib.contextmanager
def servers_for(
    engines: list[Engine], configured: dict[Engine, str | None]
) -> Iterator[ServerDsns]:
    """Yield DSNs for the server engines among `engines`, starting a private LocalStack for those
    with no configured DSN; the stack is stopped on exit, whatever the exit."""
    result = ServerDsns()
    missing: list[Engine] = []
    for engine in engines:
        if engine not in SERVER_NAMES:
            continue
        dsn = configured.get(engine)
        if dsn:
            result.dsns[engine] = dsn
        else:
            missing.append(engine)
    with terminate_as_interrupt():
        try:
            if missing:
                result.stack = LocalStack.start([SERVER_NAMES[e] for e in missing])
                # Deleted at the end: nothing to save, the command's exit must not wait.
                result.stack.stop_grace_s = THROWAWAY_STOP_GRACE_S
                for engine in missing:
                    name = SERVER_NAMES[engine]
                    started = result.stack.dsn(name)
                    if started:
                        result.dsns[engine] = started
                    else:
                        reason = result.stack.unavailable.get(name, "did not start")
                        result.unavailable[engine] = reason
            yield result
        finally:
            if result.stack is not None:
                result.stack.stop()
