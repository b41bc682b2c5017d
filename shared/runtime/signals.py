"""SIGTERM and SIGHUP handled like Ctrl-C, so the servers and connections a process opened are
closed (a CI job's timeout sends SIGTERM; a closed terminal sends SIGHUP)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C so `finally` blocks stop the servers we started."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = {sig: signal.signal(sig, interrupt) for sig in STOP_SIGNALS}
    except ValueError:  # not the main thread (e.g. under a test runner's worker thread)
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.asynccontextmanager
async def cancel_on_terminate() -> AsyncIterator[None]:
    """Inside the event loop, SIGTERM cancels the running task, as asyncio.run does for Ctrl-C.

    Raising from a plain signal handler would interrupt the loop at an arbitrary point and leave
    driver threads (aiosqlite) open, so the interpreter would hang at exit; a cancellation lets
    every `finally` close its connections first.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    if task is None:
        yield
        return
    try:
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, task.cancel)
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, handler)
