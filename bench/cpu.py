"""CPU time per accepted sample, per service and per server: what Kubernetes CPU requests and
replica counts are sized from (docs/kubernetes.md "Scaling").

`python -m bench cpu [--count 300] [--warmup 60] [--marks 1000,5000]` starts the local stack
(nats-server, PostgreSQL, MariaDB) and every service as its own process (as `sqlsynth run` does),
runs a warm-up run (imports, model load, first schema fixtures), then the measured run, and reads
each process tree's user+system CPU from /proc before and after the measured run. CPU time, unlike
wall time, does not grow with the other jobs on a shared machine (caches and frequency aside).

`--marks` also reads CPU, resident memory and time each time the measured run's accepted count
passes a mark (polled every half second, so a mark is read a few samples late): one long run
gives the cost at 1,000 and 5,000 samples, and of each stretch between marks, for #23's flat-cost
table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import cast

from proto.run import RunRequest
from services.runner.client import RunClient, run_ended
from services.runner.supervisor import Supervisor
from shared.runtime.local import LocalStack
from shared.spec import load_spec

TICKS = os.sysconf("SC_CLK_TCK")


def process_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, own CPU seconds + that of its reaped children)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        table[int(entry)] = (int(fields[1]), (utime + stime + cutime + cstime) / TICKS)
    return table


def descendants(root: int, table: dict[int, tuple[int, float]]) -> list[int]:
    """A process and every process below it in `table`."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def read_rss(pid: int) -> int:
    """Resident bytes of one process (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def snapshot(stack: LocalStack, supervisor: Supervisor) -> dict[str, float]:
    """CPU seconds of each service's and server's process tree."""
    table = process_table()
    return {
        key: sum(table.get(p, (0, 0.0))[1] for p in descendants(pid, table))
        for key, pid in _roots(stack, supervisor).items()
    }


def snapshot_rss(stack: LocalStack, supervisor: Supervisor) -> dict[str, int]:
    """Resident bytes of each process tree (shared pages counted per process)."""
    table = process_table()
    return {
        key: sum(read_rss(p) for p in descendants(pid, table))
        for key, pid in _roots(stack, supervisor).items()
    }


def _roots(stack: LocalStack, supervisor: Supervisor) -> dict[str, int]:
    roots = {key: proc.pid for key, proc in supervisor.procs.items()}
    roots.update({f"server:{name}": server.proc.pid for name, server in stack.servers.items()})
    return roots


Mark = dict[str, object]


async def run(
    url: str, count: int, seed: int, on_progress: Callable[[int], None] | None = None
) -> int:
    client = await RunClient.connect(url)
    request = RunRequest(
        run_id=f"cpu-{uuid.uuid4().hex[:8]}",
        count=count,
        seed=seed,
        spec=load_spec(None).to_document(),
        max_in_flight=128,
    )
    try:
        await client.request_run(request)
        while True:
            status, plan = await client.status(request.run_id), await client.plan(request.run_id)
            if run_ended(status, plan):
                assert status is not None
                return status.accepted
            if status is not None and on_progress is not None:
                on_progress(status.accepted)
            await asyncio.sleep(0.5)
    finally:
        await client.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cpu")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument(
        "--marks", default="", help="accepted counts to read cost at, e.g. 1000,5000"
    )
    args = parser.parse_args(argv)
    marks = sorted(int(m) for m in args.marks.split(",") if m.strip())
    readings: list[Mark] = []
    out = Path(tempfile.mkdtemp(prefix="sqlsynth-bench-cpu-"))
    stack = LocalStack.start(["nats", "postgres", "mysql"])
    env = {
        "SQLSYNTH_NATS_URL": stack.dsn("nats") or "",
        "SQLSYNTH_POSTGRES_DSN": stack.dsn("postgres") or "",
        "SQLSYNTH_MYSQL_DSN": stack.dsn("mysql") or "",
        "SQLSYNTH_OUT_DIR": str(out),
        "SQLSYNTH_ENGINES": "sqlite,postgres,mysql",
        "SQLSYNTH_LOG_LEVEL": "WARNING",
    }
    supervisor = Supervisor(env, out / "logs")
    try:
        supervisor.start_all()
        url = stack.dsn("nats") or ""
        asyncio.run(run(url, args.warmup, seed=1))
        rss_before = snapshot_rss(stack, supervisor)
        before, started = snapshot(stack, supervisor), time.monotonic()

        def read_marks(accepted_so_far: int) -> None:
            while marks and accepted_so_far >= marks[0]:
                marks.pop(0)
                readings.append(
                    read_mark(stack, supervisor, accepted_so_far, time.monotonic() - started)
                )

        accepted = asyncio.run(run(url, args.count, seed=2, on_progress=read_marks))
        after, elapsed = snapshot(stack, supervisor), time.monotonic() - started
        rss_after = snapshot_rss(stack, supervisor)
    finally:
        supervisor.stop_all()
        stack.stop()
    per_sample = {
        name: round(1000 * (after[name] - before.get(name, 0.0)) / max(accepted, 1), 2)
        for name in after
    }
    total = round(sum(per_sample.values()), 2)
    print(
        json.dumps(
            {
                "accepted": accepted,
                "wall_s": round(elapsed, 1),
                # From the request to the run's end: a processing span with the planner's
                # start and the last sink write in it.
                "accepted_per_s": round(accepted / max(elapsed, 1e-9), 2),
                "rss_mib_after_warmup": {k: round(v / 2**20, 1) for k, v in rss_before.items()},
                "rss_mib_after_run": {k: round(v / 2**20, 1) for k, v in rss_after.items()},
                # What each process kept per accepted sample of the measured run (the dedup
                # index is the one thing that must grow; allocator noise is in it too).
                "rss_growth_bytes_per_accepted": {
                    k: round((rss_after[k] - rss_before.get(k, 0)) / max(accepted, 1))
                    for k in rss_after
                },
                "cpu_ms_per_accepted": per_sample,
                "total_cpu_ms_per_accepted": total,
                "load_average": os.getloadavg(),
                "marks": describe_marks(readings, before, rss_before),
            },
            indent=2,
        )
    )
    return 0


def read_mark(stack: LocalStack, supervisor: Supervisor, accepted: int, wall_s: float) -> Mark:
    return {
        "accepted": accepted,
        "wall_s": wall_s,
        "cpu": snapshot(stack, supervisor),
        "rss": snapshot_rss(stack, supervisor),
        "load_average": os.getloadavg(),
    }


def describe_marks(
    readings: list[Mark], before: dict[str, float], rss_before: dict[str, int]
) -> list[dict[str, object]]:
    """Per mark: accepted/s and CPU ms per accepted since the start and over the stretch since
    the previous mark, and each process tree's resident MiB."""
    described: list[dict[str, object]] = []
    last: Mark = {"accepted": 0, "wall_s": 0.0, "cpu": before, "rss": rss_before}
    for mark in readings:
        accepted, wall = int(str(mark["accepted"])), float(str(mark["wall_s"]))
        cpu = cast(dict[str, float], mark["cpu"])
        rss = cast(dict[str, int], mark["rss"])
        last_cpu = cast(dict[str, float], last["cpu"])
        stretch = accepted - int(str(last["accepted"]))
        stretch_s = wall - float(str(last["wall_s"]))
        described.append(
            {
                "accepted": accepted,
                "accepted_per_s": round(accepted / max(wall, 1e-9), 2),
                "stretch_accepted_per_s": round(stretch / max(stretch_s, 1e-9), 2),
                "total_cpu_ms_per_accepted": round(
                    1000 * sum(cpu[k] - before.get(k, 0.0) for k in cpu) / max(accepted, 1), 2
                ),
                "stretch_cpu_ms_per_accepted": {
                    k: round(1000 * (cpu[k] - last_cpu.get(k, 0.0)) / max(stretch, 1), 2)
                    for k in cpu
                },
                "rss_mib": {k: round(v / 2**20, 1) for k, v in rss.items()},
                "load_average": mark["load_average"],
            }
        )
        last = mark
    return described
