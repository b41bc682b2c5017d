"""One OS process per service, started with the run's environment and stopped in order."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Sinks first and planner last: consumers are ready before the first blueprint is published.
SERVICE_ORDER = ["sink", "dedup", "reviser", "validator", "generator", "planner"]


@dataclass
class Supervisor:
    env: dict[str, str]
    log_dir: Path
    replicas: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_all(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in SERVICE_ORDER:
            for replica in range(self.replicas.get(name, 1)):
                self.start(name, replica)

    def start(self, name: str, replica: int = 0) -> subprocess.Popen[bytes]:
        key = f"{name}-{replica}"
        env = {**os.environ, **self.env, "SQLSYNTH_INSTANCE": key}
        log = (self.log_dir / f"{key}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[key] = proc
        return proc

    def kill(self, key: str, sig: int = signal.SIGKILL) -> None:
        """For chaos: kill one replica abruptly (it may be restarted with `start`)."""
        proc = self.procs[key]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(10)

    def dead(self) -> list[str]:
        return [key for key, proc in self.procs.items() if proc.poll() is not None]

    def stop_all(self, timeout: float = 15.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
