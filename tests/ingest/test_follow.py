"""Follow mode on a real PostgreSQL log replayed into a growing file: restart, rotation,
truncation, rotation while stopped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from proto.seed import SeedEvent
from shared.ingest.follow import Follower
from shared.ingest.seeds import ingest_files
from shared.ingest.shape import message_id
from tests.ingest.conftest import PgLogs

pytestmark = pytest.mark.engines


def batch_counts(*texts: str, tmp: Path) -> dict[str, int]:
    path = tmp / "batch.log"
    path.write_text("".join(texts))
    return {seed.seed_id: seed.count for seed in ingest_files([path]).seeds}


def drain(follower: Follower) -> list[SeedEvent]:
    """Poll until nothing new, then once more with the idle flush (end of the replay)."""
    seeds = follower.poll()
    follower.idle_seconds = 0.0
    seeds += follower.poll()
    follower.idle_seconds = 3600.0
    return seeds


def test_restart_resumes_without_repeats(pg_logs: PgLogs, tmp_path: Path) -> None:
    text = pg_logs.stderr.read_text()
    lines = text.splitlines(keepends=True)
    # Cut inside the multi-line statement, so a record is open at the first commit.
    cut = next(i for i, line in enumerate(lines) if line.startswith("\tFROM customers AS c")) + 1
    log, state = tmp_path / "postgresql.log", tmp_path / "state.json"
    log.write_text("".join(lines[:cut]))

    first = Follower([log], "postgres", state_path=state, idle_seconds=3600)
    announced = first.poll()
    first.commit()
    first.close()
    assert announced, "the first half holds complete statements"

    restarted = Follower([log], "postgres", state_path=state, idle_seconds=3600)
    assert restarted.poll() == []  # nothing new: nothing again
    with log.open("a") as handle:
        handle.write("".join(lines[cut:]))
    announced += drain(restarted)
    restarted.commit()

    ids = [message_id(seed) for seed in announced]
    assert len(ids) == len(set(ids)), "an announcement was repeated"
    assert restarted.counter.counts == batch_counts(text, tmp=tmp_path)
    assert restarted.stats.issue_count == 0
    # The statement cut in two came back whole.
    assert any("GROUP BY c.name" in seed.sql for seed in announced)


def test_rotation_and_truncation(pg_logs: PgLogs, tmp_path: Path) -> None:
    text = pg_logs.stderr.read_text()
    log, state = tmp_path / "postgresql.log", tmp_path / "state.json"
    log.write_text(text)
    follower = Follower([log], "postgres", state_path=state, idle_seconds=3600)
    drain(follower)
    follower.commit()
    once = dict(follower.counter.counts)

    # logrotate's default: move the file away, the server opens a new one.
    log.rename(tmp_path / "postgresql.log.1")
    log.write_text(text)
    drain(follower)
    assert follower.files[0].rotations == 1
    assert follower.counter.counts == {key: 2 * count for key, count in once.items()}

    # copytruncate: same inode, size back to zero, then new lines.
    with log.open("r+") as handle:
        handle.truncate(0)
    follower.poll()
    with log.open("a") as handle:
        handle.write(text)
    drain(follower)
    assert follower.counter.counts == {key: 3 * count for key, count in once.items()}
    follower.commit()
    assert follower.stats.issue_count == 0


def test_rotation_while_stopped(pg_logs: PgLogs, tmp_path: Path) -> None:
    lines = pg_logs.stderr.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    while lines[half].startswith("\t"):
        half += 1
    log, state = tmp_path / "postgresql.log", tmp_path / "state.json"
    log.write_text("".join(lines[:half]))
    follower = Follower([log], "postgres", state_path=state, idle_seconds=3600)
    follower.poll()
    follower.commit()
    follower.close()

    # While we are down the server writes the rest, the file is rotated, a new one begins.
    with log.open("a") as handle:
        handle.write("".join(lines[half:]))
    log.rename(tmp_path / "postgresql.log.1")
    log.write_text("".join(lines))
    inode_before = os.stat(tmp_path / "postgresql.log.1").st_ino

    restarted = Follower([log], "postgres", state_path=state, idle_seconds=3600)
    drain(restarted)
    expected = batch_counts("".join(lines), "".join(lines), tmp=tmp_path)
    assert restarted.counter.counts == expected
    assert restarted.files[0].state.inode != inode_before


def test_damaged_state_file_starts_over(tmp_path: Path) -> None:
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    log.write_text("2024-05-01 10:00:00 UTC [7] LOG:  duration: 1.5 ms  statement: SELECT 1\n")
    state.write_text("{not json")
    follower = Follower([log], "postgres", state_path=state, idle_seconds=0)
    [seed] = follower.poll()
    assert seed.duration_ms == 1.5 and seed.count == 1
    follower.commit()
    assert Follower([log], "postgres", state_path=state, idle_seconds=0).poll() == []
