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


class Interrupt:
    """Whether Ctrl-C was pressed, for loops that must stop even when its cancellation was lost
    (Python 3.11's wait_for returns the awaited result and drops a cancellation that arrives as
    the awaited call completes: a run under load once went on to its end after Ctrl-C)."""

    requested: bool = False


@contextlib.asynccontextmanager
async def interrupt_cancels() -> AsyncIterator[Interrupt]:
    """Ctrl-C cancels the running task and is remembered; the block ends in KeyboardInterrupt.

    Loops inside check `requested` and raise CancelledError themselves, so a cancellation
    swallowed on the way still stops them; `finally` blocks run either way. A second Ctrl-C
    raises KeyboardInterrupt at once, as asyncio.run does (a clean-up that hangs can be left).
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupt = Interrupt()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if interrupt.requested:
            raise KeyboardInterrupt
        interrupt.requested = True
        if task is not None and not task.done():
            task.cancel()
            loop.call_soon_threadsafe(lambda: None)  # wake a loop blocked in select()

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread
        yield interrupt
        return
    try:
        yield interrupt
    except asyncio.CancelledError:
        if interrupt.requested:
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
