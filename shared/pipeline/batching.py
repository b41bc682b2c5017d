"""The generator's batch mode without the broker: group planned samples into Message Batches
jobs, remember the groups on disk, and turn each job's outcomes into what to publish.

    journal = BatchJournal(state_dir)
    stage = BatchGeneratorStage(BatchDraftGenerator(claude, BatchRunner(...)), "claude")
    collector = BatchCollector(stage, settle, size=100, wait_s=30.0, journal=journal)
    collector.add(sample_key(envelope), envelope)   # settle(name, key, envelope, resolution)

A group is flushed when it holds `size` samples or `wait_s` after its first sample. Its job name
is derived from its sample keys and written to the journal before anything is submitted, so a
generator that crashed mid-batch and gets the same samples redelivered puts them back under the
same name and BatchRunner resumes the job's rounds from its state files: nothing is paid twice.
Such a resumed group is flushed as soon as all its unsettled samples are back (or `wait_s`
after the first, for those acked before the crash or retried online elsewhere).
Every added sample is settled exactly once (a failed job settles its samples with the error),
unless the collector is closed first: then the broker redelivers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from proto import subjects
from proto.common import Outcome, SeedMode, Stage
from proto.sample import Blueprint, ErrorClass, SampleEnvelope, TokenCost
from shared.errors import is_retryable
from shared.pipeline.emit import Emit, reject, sample_seed

if TYPE_CHECKING:  # the template path never loads the Anthropic SDK
    from shared.generation.claude.batch import BatchOutcome

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def sample_key(envelope: SampleEnvelope) -> str:
    """One planned sample at one attempt: what a redelivery of the same message shares."""
    return f"{envelope.run_id}:{envelope.sample_id}:{envelope.attempt}"


def custom_id(key: str) -> str:
    # The API allows ^[a-zA-Z0-9_-]{1,64}$; run ids are free text, so a digest stands in.
    return "s" + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def batch_name(keys: Iterable[str], prefix: str = "gen") -> str:
    """Deterministic in the set of keys (not their order): the same samples, the same job."""
    digest = hashlib.blake2b("\n".join(sorted(keys)).encode(), digest_size=10).hexdigest()
    return f"{prefix}-{digest}"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class BatchJournal:
    """Which sample keys went into which job, and which of them are settled, in `directory`.

    `<name>.group.json` is written before the job's first batch is submitted; settled keys are
    appended to `<name>.settled`; both go once every key is settled. Written by one process at
    a time (one generator replica per state directory).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.groups: dict[str, frozenset[str]] = {}
        self.settled: dict[str, set[str]] = {}
        self.by_key: dict[str, str] = {}
        for path in sorted(directory.glob("*.group.json")):
            data = json.loads(path.read_text())
            name, keys = str(data["name"]), frozenset(str(k) for k in data["keys"])
            done_path = self._paths(name)[1]
            done = set(done_path.read_text().split("\n")) - {""} if done_path.exists() else set()
            self._remember(name, keys, done)

    def _paths(self, name: str) -> tuple[Path, Path]:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return self.directory / f"{safe}.group.json", self.directory / f"{safe}.settled"

    def _remember(self, name: str, keys: frozenset[str], done: set[str]) -> None:
        self.groups[name] = keys
        self.settled[name] = done & keys
        for key in keys - done:
            self.by_key[key] = name

    def group_of(self, key: str) -> str | None:
        """The job an unsettled key was submitted in, if any."""
        return self.by_key.get(key)

    def unsettled(self, name: str) -> frozenset[str]:
        return self.groups.get(name, frozenset()) - self.settled.get(name, set())

    def record(self, name: str, keys: Iterable[str]) -> None:
        """Remember a job before submitting it (a name already known keeps its keys)."""
        if name in self.groups:
            return
        members = frozenset(keys)
        path, _ = self._paths(name)
        _write_atomic(path, json.dumps({"name": name, "keys": sorted(members)}))
        self._remember(name, members, set())

    def settle(self, name: str, key: str) -> None:
        """The key's message is acked: forget the job once all its keys are."""
        if name not in self.groups or key in self.settled[name]:
            return
        self.settled[name].add(key)
        self.by_key.pop(key, None)
        group_path, done_path = self._paths(name)
        if self.settled[name] >= self.groups[name]:
            for path in (group_path, done_path):
                path.unlink(missing_ok=True)
            del self.groups[name], self.settled[name]
            return
        with done_path.open("a") as out:
            out.write(key + "\n")


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """Where a group's wait timer runs: the event loop, or a manual clock in tests (so a test
    advances time instead of sleeping against the timer)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable: ...


class LoopTimers:
    """Timers on the running event loop."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(delay, callback)


RunFn = Callable[[str, list[tuple[str, T]]], Awaitable[Mapping[str, R]]]
SettleFn = Callable[[str, str, T, "R | BaseException"], Awaitable[None]]


@dataclass
class _Group(Generic[T]):
    name: str | None  # None: a new job, named from its keys when flushed
    expected: frozenset[str] | None = None  # a resumed job: the keys that may come back
    items: dict[str, T] = field(default_factory=dict)
    timer: Cancellable | None = None
    flushed: bool = False


class BatchCollector(Generic[T, R]):
    """Collects keyed items into jobs; runs each job once and settles each item once.

    `run(name, [(key, item)])` returns a result per key; `settle(name, key, item, result)` gets
    that result, or the exception when the job raised or left the key out. Jobs run
    concurrently, but never two with the same name (a resumed job's rounds would be paid twice).
    """

    def __init__(
        self,
        run: RunFn[T, R],
        settle: SettleFn[T, R],
        *,
        size: int,
        wait_s: float,
        journal: BatchJournal | None = None,
        prefix: str = "gen",
        timers: Timers | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("batch size must be at least 1")
        self.run = run
        self.settle = settle
        self.size = size
        self.wait_s = wait_s
        self.journal = journal
        self.prefix = prefix
        self.timers = timers or LoopTimers()
        self.fresh: _Group[T] | None = None
        self.resumed: dict[str, _Group[T]] = {}
        self.pending: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.locks: dict[str, asyncio.Lock] = {}

    def add(self, key: str, item: T) -> bool:
        """Queue an item; False when its key is already queued or running (a redelivery)."""
        if key in self.pending:
            return False
        self.pending.add(key)
        name = self.journal.group_of(key) if self.journal else None
        if name is not None:
            group = self.resumed.get(name)
            if group is None:
                assert self.journal is not None
                group = self.resumed[name] = self._open(name, self.journal.unsettled(name))
            group.items[key] = item
            assert group.expected is not None
            if group.expected <= group.items.keys():
                self._flush(group)
            return True
        if self.fresh is None:
            self.fresh = self._open(None, None)
        self.fresh.items[key] = item
        if len(self.fresh.items) >= self.size:
            self._flush(self.fresh)
        return True

    def _open(self, name: str | None, expected: frozenset[str] | None) -> _Group[T]:
        group: _Group[T] = _Group(name, expected)
        group.timer = self.timers.call_later(self.wait_s, lambda: self._flush(group))
        return group

    def _flush(self, group: _Group[T]) -> None:
        if group.flushed:
            return
        group.flushed = True
        if group.timer is not None:
            group.timer.cancel()
        if group is self.fresh:
            self.fresh = None
        elif group.name is not None:
            self.resumed.pop(group.name, None)
        task = asyncio.get_running_loop().create_task(self._run(group))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, group: _Group[T]) -> None:
        name = group.name or batch_name(group.items, self.prefix)
        items = list(group.items.items())
        results: Mapping[str, R] = {}
        failure: BaseException | None = None
        try:
            if self.journal is not None and group.name is None:
                self.journal.record(name, group.items)
            async with self.locks.setdefault(name, asyncio.Lock()):
                results = await self.run(name, items)
        except Exception as exc:  # the job failed as a whole: every item is settled with it
            log.warning("batch job %s failed: %s: %s", name, type(exc).__name__, exc)
            failure = exc
        await asyncio.gather(
            *(self._settle(name, key, item, results, failure) for key, item in items)
        )

    async def _settle(
        self,
        name: str,
        key: str,
        item: T,
        results: Mapping[str, R],
        failure: BaseException | None,
    ) -> None:
        outcome: R | BaseException
        if key in results:
            outcome = results[key]
        else:
            outcome = failure or KeyError(f"batch job {name} returned nothing for {key}")
        try:
            await self.settle(name, key, item, outcome)
        except Exception:  # the item's message stays unacked and comes back: nothing is lost
            log.exception("settling %s of batch job %s failed", key, name)
        finally:
            self.pending.discard(key)

    async def flush_all(self) -> None:
        """Flush every open group now and wait for all jobs (tests, draining)."""
        for group in [*([self.fresh] if self.fresh else []), *self.resumed.values()]:
            self._flush(group)
        while self.tasks:
            await asyncio.gather(*list(self.tasks))

    async def aclose(self) -> None:
        """Stop without settling what is left: those messages are redelivered and resumed."""
        for group in [*([self.fresh] if self.fresh else []), *self.resumed.values()]:
            if group.timer is not None:
                group.timer.cancel()
        self.fresh, self.resumed = None, {}
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class Publish:
    """The batch decided the sample: publish these (drafted, or rejected with its reason)."""

    emits: list[Emit]


@dataclass(frozen=True)
class GoOnline:
    """The provider failed the sample in the batch: generate it online, `spent` already paid."""

    reason: str
    spent: TokenCost = field(default_factory=TokenCost)


Resolution = Publish | GoOnline


class ManyDrafts(Protocol):
    """BatchDraftGenerator's interface (shared.generation.claude.batch)."""

    async def generate_many(
        self, name: str, items: list[tuple[str, Blueprint, int]]
    ) -> dict[str, BatchOutcome]: ...


def batchable(envelope: SampleEnvelope) -> bool:
    """A seed's kept SQL stays online (its back-translation and verifier steps); a seed's schema
    and an expansion of a seed's SQL are batched like any plan (the batch rounds write on the
    given schema, as the online engine does)."""
    blueprint = envelope.blueprint
    return not (blueprint.seed_sql and blueprint.seed_mode is not SeedMode.EXPAND)


class BatchGeneratorStage:
    """GeneratorStage for a whole job: one Message Batches job, one resolution per sample.

    A round the provider refused as a whole (a 429 or 5xx on submitting or polling) is tried
    again after a pause, `retries` times, before its samples go online at full price: the job
    resumes from its state files, so finished rounds are not paid again.
    """

    def __init__(
        self,
        generator: ManyDrafts,
        engine_name: str,
        *,
        retries: int = 2,
        retry_delay_s: float = 15.0,
    ) -> None:
        self.generator = generator
        self.engine_name = engine_name
        self.retries = retries
        self.retry_delay_s = retry_delay_s

    async def __call__(
        self, name: str, items: list[tuple[str, SampleEnvelope]]
    ) -> dict[str, Resolution]:
        ids = {custom_id(key): (key, envelope) for key, envelope in items}
        requests = [
            (cid, envelope.blueprint, sample_seed(envelope)) for cid, (_, envelope) in ids.items()
        ]
        outcomes = await self._generate(name, requests)
        resolved: dict[str, Resolution] = {}
        for cid, (key, envelope) in ids.items():
            outcome = outcomes.get(cid)
            if outcome is None:
                resolved[key] = GoOnline(f"batch job {name} returned no outcome")
            else:
                resolved[key] = self._resolve(name, envelope, outcome)
        return resolved

    async def _generate(
        self, name: str, requests: list[tuple[str, Blueprint, int]]
    ) -> dict[str, BatchOutcome]:
        delay = self.retry_delay_s
        for attempt in range(self.retries + 1):
            outcomes = await self.generator.generate_many(name, requests)
            transient = [
                o.error
                for o in outcomes.values()
                if o.retry_online and o.error is not None and is_retryable(o.error)
            ]
            if not transient or attempt == self.retries:
                break
            log.warning(
                "batch job %s: round failed (%s), again in %.0fs", name, transient[0], delay
            )
            await asyncio.sleep(delay)
            delay *= 2
        return outcomes

    def _resolve(self, name: str, envelope: SampleEnvelope, outcome: BatchOutcome) -> Resolution:
        if outcome.retry_online:
            return GoOnline(f"{type(outcome.error).__name__}: {outcome.error}", outcome.cost)
        # What the job spent on the sample stays on it, drafted or rejected: the run's cost is
        # what was billed (as GeneratorStage does for a GenerationError).
        envelope.cost = envelope.cost.add(outcome.cost)
        if outcome.draft is None:
            reason = str(outcome.error or "batch produced no draft")
            return Publish([reject(envelope, Stage.GENERATOR, reason, ErrorClass.GENERATION)])
        envelope.draft = outcome.draft
        envelope.record(Stage.GENERATOR, Outcome.DRAFTED, f"engine={self.engine_name} batch={name}")
        return Publish([Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.DRAFTED)])
