"""Chaos on the embedded runtime, through the real `sqlsynth run` command: the broker, an
engine and the CLI itself are killed mid-run. Each run must end with every planned sample
exactly once, and no process of the run may outlive it.

Times to recover are printed (`-s`) and summarised in the README's fault table.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from shared.runtime.orphans import PIDS_DIR, group_alive, recorded

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def start_run(out: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SQLSYNTH_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run", "--out", str(out), *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def pids_of(out: Path) -> dict[str, int]:
    return recorded(out / ".state" / PIDS_DIR)


def wait_until(check, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not seen within {timeout_s:.0f}s")


def accepted_lines(out: Path) -> int:
    path = out / "dataset.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def assert_exactly_once(out: Path, count: int) -> dict[str, Any]:
    records = []
    for name in ("dataset.jsonl", "duplicates.jsonl", "rejected.jsonl"):
        path = out / name
        if path.exists():
            records += [json.loads(line) for line in path.read_text().splitlines()]
    ids = Counter(record["id"] for record in records)
    assert not [i for i, n in ids.items() if n > 1], "a sample written twice"
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    assert summary["accepted"] == count
    assert len(ids) == summary["planned"], "a planned sample lost"
    return summary


def assert_no_orphans(groups: dict[str, int], timeout_s: float = 30) -> float:
    """Every process group the run recorded is gone; returns how long that took."""
    started = time.monotonic()
    wait_until(
        lambda: not [n for n, g in groups.items() if group_alive(g)], timeout_s, "no orphans"
    )
    return time.monotonic() - started


def finish(proc: subprocess.Popen[str], timeout_s: float = 400) -> str:
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return output


def test_nats_killed_under_a_run_is_restarted_and_the_run_finishes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = start_run(out, "--count", "30", "--engines", "sqlite", "--seed", "11")
    wait_until(lambda: accepted_lines(out) >= 5, 240, "first accepted samples")
    groups = pids_of(out)
    os.killpg(groups["server-nats"], signal.SIGKILL)
    killed = time.monotonic()
    before = accepted_lines(out)
    wait_until(lambda: accepted_lines(out) > before, 120, "progress after the broker restart")
    recovered_s = time.monotonic() - killed
    output = finish(proc)
    assert proc.returncode == 0, output[-3000:]
    summary = assert_exactly_once(out, 30)
    assert_no_orphans({**groups, **pids_of(out)})
    print(f"nats-server SIGKILL: progress again after {recovered_s:.1f}s; {summary['planned']}")


def test_cli_killed_leaves_no_process_and_resume_finishes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = start_run(out, "--count", "30", "--engines", "sqlite", "--seed", "12")
    wait_until(lambda: accepted_lines(out) >= 5, 240, "first accepted samples")
    groups = pids_of(out)
    assert {"server-nats", "service-validator-0"} <= set(groups)
    proc.kill()  # SIGKILL: no handler runs; the reaper must stop the children
    proc.wait(10)
    reaped_s = assert_no_orphans(groups)
    resumed = start_run(out, "--resume", str(out))
    output = finish(resumed)
    assert resumed.returncode == 0, output[-3000:]
    assert_exactly_once(out, 30)
    assert_no_orphans(pids_of(out))
    print(f"CLI SIGKILL: children gone after {reaped_s:.1f}s; resume finished the run")


def test_cli_terminated_cleans_up_and_names_the_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = start_run(out, "--count", "200", "--engines", "sqlite", "--seed", "13")
    wait_until(lambda: accepted_lines(out) >= 3, 240, "first accepted samples")
    groups = pids_of(out)
    proc.send_signal(signal.SIGTERM)
    output = finish(proc, 60)
    assert proc.returncode == 130, output[-2000:]
    assert f"sqlsynth run --resume {out}" in output.replace("\n", "")
    assert "Traceback" not in output
    assert_no_orphans(groups, 5)
    assert not pids_of(out), "pid files left behind after a clean stop"


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_engine_killed_mid_run_pauses_instead_of_burning_samples(
    tmp_path: Path, server: str
) -> None:
    out = tmp_path / "run"
    proc = start_run(out, "--count", "20", "--engines", f"sqlite,{server}", "--seed", "14")
    wait_until(lambda: accepted_lines(out) >= 5, 300, "first accepted samples")
    groups = pids_of(out)
    os.killpg(groups[f"server-{server}"], signal.SIGKILL)
    killed = time.monotonic()
    before = accepted_lines(out)
    wait_until(lambda: accepted_lines(out) > before + 1, 240, "progress after the engine restart")
    recovered_s = time.monotonic() - killed
    output = finish(proc)
    assert proc.returncode == 0, output[-3000:]
    summary = assert_exactly_once(out, 20)
    unavailable = summary["rejection_reasons"].get("engine_unavailable", 0)
    assert unavailable == 0, summary["rejection_reasons"]
    assert_no_orphans({**groups, **pids_of(out)})
    rejected = summary["rejected"]
    print(f"{server} SIGKILL: progress again after {recovered_s:.1f}s; rejected {rejected}")
