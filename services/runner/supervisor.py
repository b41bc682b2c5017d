"""One OS process per service, started with the run's environment and stopped in order."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from shared.runtime.orphans import PIDS_DIR, forget, record

# Sinks first and planner last: consumers are ready before the first blueprint is published.
SERVICE_ORDER = ["sink", "dedup", "reviser", "validator", "generator", "planner"]
# With metrics on, the monitor exports JetStream's consumer lag (services/monitor).
MONITOR = "monitor"
# Prometheus file_sd target list, next to the logs: point a scrape job's `file_sd_configs` at it.
TARGETS_FILE = "prometheus-targets.json"


@dataclass
class Supervisor:
    env: dict[str, str]
    log_dir: Path
    replicas: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Metrics port of each process (key -> port); kept across restarts of a replica.
    metrics_ports: dict[str, int] = field(default_factory=dict)

    @property
    def metrics_base_port(self) -> int:
        """SQLSYNTH_METRICS_PORT is the first port of the run; each process takes the next one
        (one shared port would make every process but the first fail to bind)."""
        return int({**os.environ, **self.env}.get("SQLSYNTH_METRICS_PORT") or 0)

    def start_all(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.metrics_base_port:
            self.start(MONITOR)
        for name in SERVICE_ORDER:
            for replica in range(self.replicas.get(name, 1)):
                self.start(name, replica)

    def start(self, name: str, replica: int = 0) -> subprocess.Popen[bytes]:
        key = f"{name}-{replica}"
        env = {**os.environ, **self.env, "SQLSYNTH_INSTANCE": key}
        if self.metrics_base_port:
            port = self.metrics_ports.setdefault(
                key, self.metrics_base_port + len(self.metrics_ports)
            )
            env["SQLSYNTH_METRICS_PORT"] = str(port)
            self.write_targets()
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
        record(self.pids_dir, f"service-{key}", proc.pid)
        return proc

    @property
    def pids_dir(self) -> Path:
        """Next to the logs: the same folder the run's servers record themselves in."""
        return self.log_dir.parent / PIDS_DIR

    def write_targets(self) -> Path:
        """The processes' metrics endpoints as a Prometheus file_sd list (rewritten atomically,
        since Prometheus re-reads the file when it changes)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        targets = [
            {
                "targets": [f"127.0.0.1:{port}"],
                "labels": {"service": key.rsplit("-", 1)[0], "instance_key": key},
            }
            for key, port in sorted(self.metrics_ports.items())
        ]
        path = self.log_dir / TARGETS_FILE
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps(targets, indent=2))
        os.replace(scratch, path)
        return path

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
        for key in self.procs:
            forget(self.pids_dir, f"service-{key}")
