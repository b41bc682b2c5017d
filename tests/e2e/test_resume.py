"""`sqlsynth run` interrupted with Ctrl-C, then `--resume`: nothing lost, nothing written twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.engines]


def accepted_lines(out: Path) -> int:
    path = out / "dataset.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def server_pids(out: Path) -> list[int]:
    """Processes whose command line mentions this run's state folder (servers, services)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(out) in cmdline and "pytest" not in cmdline:
            found.append(int(proc.name))
    return found


def sqlsynth(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


def test_interrupt_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "SQLSYNTH_LOG_LEVEL": "WARNING"}
    first = subprocess.Popen(
        sqlsynth("run", "--count", "30", "--out", str(out), "--seed", "4"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 240
    while accepted_lines(out) < 8 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    assert first.poll() is None, first.communicate()[0].decode()[-2000:]
    first.send_signal(signal.SIGINT)
    output = first.communicate(timeout=120)[0].decode()
    assert first.returncode == 130, output[-2000:]
    assert "--resume" in output
    assert accepted_lines(out) < 30
    assert server_pids(out) == [], "Ctrl-C left processes running"

    resumed = subprocess.run(
        sqlsynth("run", "--resume", str(out)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    records = [
        json.loads(line)
        for name in ("dataset.jsonl", "duplicates.jsonl", "rejected.jsonl")
        if (out / name).exists()
        for line in (out / name).read_text().splitlines()
    ]
    ids = Counter(r["id"] for r in records)
    assert [i for i, n in ids.items() if n > 1] == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["accepted"] == accepted_lines(out) == 30
    assert len(ids) == summary["planned"]
    assert server_pids(out) == []
