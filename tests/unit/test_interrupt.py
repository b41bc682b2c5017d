"""Ctrl-C stops a run even when its cancellation is swallowed on the way (Python 3.11's wait_for
drops a cancellation that arrives as the awaited call completes; a loaded run once went on to
its end after Ctrl-C and exited 0)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import pytest

from shared.runtime.signals import interrupt_cancels


async def test_ctrl_c_ends_in_keyboard_interrupt_though_the_cancel_was_swallowed() -> None:
    polls = 0
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        async with interrupt_cancels() as interrupt:
            # Ctrl-C, delivered as the terminal does: a signal to this process.
            asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
            with contextlib.suppress(asyncio.CancelledError):  # the lost cancellation
                await asyncio.sleep(30)
            while polls < 1000:  # a loop like the run's watch: it checks the flag
                polls += 1
                if interrupt.requested:
                    raise asyncio.CancelledError
                await asyncio.sleep(0.01)
    assert polls == 1, "the loop stopped on the flag at its first check"
    # The handler is removed: Ctrl-C does again what it did before the block.
    assert signal.getsignal(signal.SIGINT) == before


async def test_a_cancel_without_ctrl_c_stays_a_cancel() -> None:
    async def body() -> None:
        async with interrupt_cancels():
            await asyncio.sleep(30)

    task = asyncio.ensure_future(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_second_ctrl_c_stops_at_once() -> None:
    """A clean-up that hangs after the first Ctrl-C is left at the second, as asyncio.run does."""
    went_on = False
    with pytest.raises(KeyboardInterrupt):
        async with interrupt_cancels():
            with contextlib.suppress(asyncio.CancelledError):  # the first: cancelled, then hung
                os.kill(os.getpid(), signal.SIGINT)
                await asyncio.sleep(30)
            os.kill(os.getpid(), signal.SIGINT)  # raises here, in plain code
            went_on = True
            await asyncio.sleep(30)
    assert not went_on
