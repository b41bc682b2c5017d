"""Offline commands that judge many candidates in one go (`pairs`, `score`) retry an engine
that did not answer one of them, with backoff, before giving up on the whole command.

The services get this from JetStream (an EngineUnavailable naks the sample, which comes back);
a command has no redelivery, so without it one slow answer on a loaded machine (a pooled
connection not free in time, a CREATE past its deadline) ended a run of thousands of records.
Anything else — a wrong result, invalid SQL — is a verdict, never retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.errors import EngineUnavailable

T = TypeVar("T")

ATTEMPTS = 4  # waits of 1, 2 and 4 s between them: a server that is really down fails in ~7 s


async def patiently(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    retrying: type[BaseException] = EngineUnavailable,
) -> T:
    """`call()`, again after a `retrying` error (EngineUnavailable unless told; up to
    `attempts` in all); the last error is raised as it was. `sleep` is injectable so tests
    need not wait."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(retrying),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=1, max=4),
        sleep=sleep,
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity reraises the last error")
