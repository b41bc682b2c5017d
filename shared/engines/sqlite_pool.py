"""A pool of SQLite worker processes (sqlite_worker.py), each killed at its hard deadline.

A worker answers one request at a time. When a reply does not come by the deadline, the
worker is killed (SIGKILL: nothing it runs can refuse) and a fresh one takes its place on
the next request, so a statement that never yields costs one check, never the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.engines.sqlite_worker import HEADER

WORKER_SCRIPT = Path(__file__).with_name("sqlite_worker.py")
# A reply larger than this is a broken worker, not a result (results have their own budget).
MAX_FRAME_BYTES = 1 << 30


class WorkerTimeout(Exception):
    """The worker did not answer by the hard deadline and was killed."""


class WorkerCrashed(Exception):
    """The worker died (killed by the OS, out of memory, a bug) before answering."""


@dataclass(eq=False)
class _Worker:
    proc: asyncio.subprocess.Process

    async def exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(HEADER.pack(len(data)) + data)
        await self.proc.stdin.drain()
        header = await self.proc.stdout.readexactly(HEADER.size)
        (length,) = HEADER.unpack(header)
        if length > MAX_FRAME_BYTES:
            raise WorkerCrashed(f"reply of {length} bytes")
        reply: dict[str, Any] = pickle.loads(await self.proc.stdout.readexactly(length))
        return reply

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            await self.proc.wait()


@dataclass
class WorkerPool:
    """`size` workers, started lazily; `init` is sent to each worker when it starts."""

    size: int
    init: dict[str, Any]
    _idle: asyncio.Queue[_Worker | None] = field(default_factory=asyncio.Queue)
    _all: set[_Worker] = field(default_factory=set)
    retired: int = 0

    def __post_init__(self) -> None:
        for _ in range(self.size):
            self._idle.put_nowait(None)  # a slot: a worker is started when first needed

    async def call(
        self, request: dict[str, Any], deadline_s: float, *, acquire_s: float
    ) -> dict[str, Any]:
        """Send one request; WorkerTimeout past deadline_s, WorkerCrashed if it died."""
        slot = await asyncio.wait_for(self._idle.get(), acquire_s)
        worker: _Worker | None = slot
        try:
            if worker is None:
                worker = await self._spawn()
            reply = await asyncio.wait_for(worker.exchange(request), deadline_s)
        except TimeoutError as exc:
            await self._retire(worker)
            worker = None
            raise WorkerTimeout(f"killed after {deadline_s:.1f} s") from exc
        except (asyncio.IncompleteReadError, ConnectionError, OSError, pickle.PickleError) as exc:
            await self._retire(worker)
            worker = None
            raise WorkerCrashed(f"sqlite worker died: {exc!r}") from exc
        except BaseException:
            # Cancelled mid-exchange: the protocol state is unknown, so the worker goes.
            await self._retire(worker)
            worker = None
            raise
        finally:
            self._idle.put_nowait(worker)
        return reply

    async def prestart(self) -> None:
        """Start every worker now rather than on first use."""
        slots = [self._idle.get_nowait() for _ in range(self._idle.qsize())]
        started = await asyncio.gather(*(self._spawn() for s in slots if s is None))
        for worker in [*(s for s in slots if s is not None), *started]:
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        for worker in list(self._all):
            await self._retire(worker)

    async def _spawn(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",  # isolated: no user site, no PYTHON* variables, no cwd on sys.path
            "-S",  # no site packages: the worker needs the standard library only
            str(WORKER_SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=MAX_FRAME_BYTES,
        )
        worker = _Worker(proc)
        self._all.add(worker)
        assert proc.stdin is not None
        data = pickle.dumps(self.init, protocol=pickle.HIGHEST_PROTOCOL)
        proc.stdin.write(HEADER.pack(len(data)) + data)
        await proc.stdin.drain()
        return worker

    async def _retire(self, worker: _Worker | None) -> None:
        if worker is None:
            return
        self._all.discard(worker)
        self.retired += 1
        await worker.kill()
