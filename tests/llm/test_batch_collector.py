"""The generator's batch collector (shared.pipeline.batching): size and time triggers, one
outcome per sample whatever the job does, and jobs regrouped by name after a crash."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shared.pipeline.batching import BatchCollector, BatchJournal, batch_name
from tests.fakes.clock import ManualClock


@dataclass
class Jobs:
    """A scripted job runner: records each job (with the manual clock's time), can hold jobs,
    fail them or drop keys."""

    clock: ManualClock = field(default_factory=ManualClock)
    calls: list[tuple[str, list[str], float]] = field(default_factory=list)
    settled: list[tuple[str, str, object]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    fail: set[str] = field(default_factory=set)  # keys whose job raises
    drop: set[str] = field(default_factory=set)  # keys left out of the results
    running: int = 0
    most_running: Counter[str] = field(default_factory=Counter)

    async def run(self, name: str, items: list[tuple[str, int]]) -> Mapping[str, str]:
        self.calls.append((name, [k for k, _ in items], self.clock.now()))
        self.running += 1
        self.most_running[name] = max(self.most_running[name], self.running)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(0)
            if self.fail & {k for k, _ in items}:
                raise RuntimeError("batch expired")
            return {k: f"draft-{v}" for k, v in items if k not in self.drop}
        finally:
            self.running -= 1

    async def settle(self, name: str, key: str, item: int, outcome: object) -> None:
        self.settled.append((name, key, outcome))

    def outcome_of(self, key: str) -> object:
        [outcome] = [o for _, k, o in self.settled if k == key]
        return outcome


def collector(
    jobs: Jobs, *, size: int = 3, wait_s: float = 10.0, journal: BatchJournal | None = None
) -> BatchCollector[int, str]:
    return BatchCollector(
        jobs.run, jobs.settle, size=size, wait_s=wait_s, journal=journal, timers=jobs.clock
    )


async def until(predicate: Callable[[], bool], turns: int = 1000) -> None:
    """Let the event loop run the collector's tasks until `predicate` holds. Jobs here never
    wait on time, so a bounded number of loop turns is enough on any machine."""
    for _ in range(turns):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the collector's tasks did not get there")


async def test_a_full_group_is_submitted_at_once() -> None:
    jobs = Jobs()
    batches = collector(jobs, size=3, wait_s=30.0)
    for i in range(7):
        assert batches.add(f"k{i}", i)
    await until(lambda: len(jobs.settled) == 6)
    assert jobs.clock.now() == 0.0  # the size trigger: no time passed, no timer fired
    assert [keys for _, keys, _ in jobs.calls] == [["k0", "k1", "k2"], ["k3", "k4", "k5"]]
    assert [name for name, _, _ in jobs.calls] == [
        batch_name(["k2", "k1", "k0"]),
        batch_name(["k3", "k4", "k5"]),
    ]
    assert jobs.outcome_of("k4") == "draft-4"
    assert batches.pending == {"k6"}  # waits for more, or for its time
    await batches.aclose()


async def test_a_partial_group_is_submitted_after_the_wait() -> None:
    jobs = Jobs()
    clock = jobs.clock
    batches = collector(jobs, size=50, wait_s=0.2)
    batches.add("a", 1)
    clock.advance(0.05)
    batches.add("b", 2)
    clock.advance(0.1)
    for _ in range(20):
        await asyncio.sleep(0)
    assert jobs.calls == []  # 0.15 s after the first sample: still waiting
    clock.advance(0.05)
    await until(lambda: len(jobs.settled) == 2)
    [(_, keys, at)] = jobs.calls
    assert keys == ["a", "b"]
    assert at == pytest.approx(0.2)  # timed from the group's first sample, not the last
    # The next sample opens a new group with its own timer.
    batches.add("c", 3)
    clock.advance(0.19)
    assert len(jobs.calls) == 1
    clock.advance(0.01)
    await until(lambda: len(jobs.settled) == 3)
    assert [keys for _, keys, _ in jobs.calls] == [["a", "b"], ["c"]]
    assert jobs.calls[1][2] == pytest.approx(0.4)
    await batches.aclose()


async def test_every_sample_is_settled_exactly_once_whatever_its_job_does() -> None:
    rng = random.Random(5)
    keys = [f"s{i}" for i in range(60)]
    jobs = Jobs(fail={k for k in keys if rng.random() < 0.1}, drop={"s7", "s33"})
    batches = collector(jobs, size=7, wait_s=0.05)
    for i, key in enumerate(keys):
        assert batches.add(key, i)
        assert not batches.add(key, i)  # a redelivery while queued is not queued twice
        if rng.random() < 0.2:
            jobs.clock.advance(0.01)
            await asyncio.sleep(0)
    await batches.flush_all()
    assert Counter(k for _, k, _ in jobs.settled) == Counter(keys)
    failed_jobs = {name for name, members, _ in jobs.calls if jobs.fail & set(members)}
    for name, key, outcome in jobs.settled:
        if name in failed_jobs:  # the whole job failed: each of its samples learns why
            assert isinstance(outcome, RuntimeError) and "expired" in str(outcome)
        elif key in jobs.drop:
            assert isinstance(outcome, KeyError)
        else:
            assert outcome == f"draft-{keys.index(key)}"
    assert failed_jobs and batches.pending == set()


async def test_a_failing_settle_does_not_stop_the_others() -> None:
    jobs = Jobs()

    async def settle(name: str, key: str, item: int, outcome: object) -> None:
        if key == "b":
            raise OSError("broker gone")
        jobs.settled.append((name, key, outcome))

    batches: BatchCollector[int, str] = BatchCollector(
        jobs.run, settle, size=3, wait_s=1.0, timers=jobs.clock
    )
    for i, key in enumerate("abc"):
        batches.add(key, i)
    await batches.flush_all()
    assert sorted(k for _, k, _ in jobs.settled) == ["a", "c"]
    # "b" is free to come back (its message was not acked) and be queued again.
    assert batches.pending == set() and batches.add("b", 1)
    await batches.aclose()


async def test_a_crashed_job_is_regrouped_under_its_name(tmp_path: Path) -> None:
    first_jobs = Jobs(gate=asyncio.Event())
    first = collector(first_jobs, size=3, journal=BatchJournal(tmp_path))
    for i, key in enumerate(["p", "q", "r"]):
        first.add(key, i)
    await until(lambda: len(first_jobs.calls) == 1)
    await first.aclose()  # the process dies while the job runs: nothing is settled
    assert first_jobs.settled == []
    name = first_jobs.calls[0][0]

    # A new process: the same samples come back in another order, mixed with a new one.
    jobs = Jobs()
    journal = BatchJournal(tmp_path)
    assert journal.group_of("q") == name and journal.group_of("new") is None
    batches = collector(jobs, size=3, wait_s=5.0, journal=journal)
    for i, key in enumerate(["r", "new", "p", "q"]):
        batches.add(key, i)
    # All three of the old job are back: it runs at once, under its old name.
    await until(lambda: len(jobs.settled) == 3)
    assert jobs.calls[0][0] == name and sorted(jobs.calls[0][1]) == ["p", "q", "r"]
    assert batches.pending == {"new"}  # in a fresh group of its own
    await batches.aclose()


async def test_a_job_resumed_in_part_waits_then_keeps_its_name(tmp_path: Path) -> None:
    journal = BatchJournal(tmp_path)
    journal.record("gen-old", ["a", "b", "c"])
    journal.settle("gen-old", "a")  # acked before the crash: will not come back
    assert BatchJournal(tmp_path).unsettled("gen-old") == {"b", "c"}
    jobs = Jobs()
    batches = collector(jobs, size=10, wait_s=0.1, journal=BatchJournal(tmp_path))
    batches.add("b", 1)  # "c" never comes back (say it is retried online elsewhere)
    jobs.clock.advance(0.09)
    assert jobs.calls == []  # waits for "c" ...
    jobs.clock.advance(0.01)  # ... until wait_s after "b"
    await until(lambda: len(jobs.settled) == 1)
    assert [(name, keys) for name, keys, _ in jobs.calls] == [("gen-old", ["b"])]
    await batches.aclose()


async def test_the_journal_forgets_a_job_once_every_sample_is_settled(tmp_path: Path) -> None:
    journal = BatchJournal(tmp_path)
    journal.record("gen-x", ["a", "b"])
    journal.settle("gen-x", "a")
    assert {p.name for p in tmp_path.iterdir()} == {"gen-x.group.json", "gen-x.settled"}
    journal.settle("gen-x", "b")
    assert list(tmp_path.iterdir()) == []
    assert BatchJournal(tmp_path).group_of("b") is None


async def test_jobs_with_the_same_name_never_run_at_once(tmp_path: Path) -> None:
    journal = BatchJournal(tmp_path)
    journal.record("gen-same", ["a", "b"])
    jobs = Jobs(gate=asyncio.Event())
    batches = collector(jobs, size=10, wait_s=0.02, journal=journal)
    batches.add("a", 1)
    jobs.clock.advance(0.02)
    await until(lambda: len(jobs.calls) == 1)
    batches.add("b", 2)  # a second part of the same job, while the first part runs
    jobs.clock.advance(0.02)
    await until(lambda: len(batches.tasks) == 2)  # both parts flushed ...
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(jobs.calls) == 1  # ... the second queued behind the first (same rounds)
    jobs.gate.set()  # type: ignore[union-attr]
    await batches.flush_all()
    assert [name for name, _, _ in jobs.calls] == ["gen-same", "gen-same"]
    assert jobs.most_running["gen-same"] == 1


def test_a_batch_of_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        BatchCollector(Jobs().run, Jobs().settle, size=0, wait_s=1.0)
