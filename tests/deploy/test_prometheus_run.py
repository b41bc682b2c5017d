"""Debian's Prometheus scraping a real run: every dashboard panel returns data during the run,
and each alert fires when its condition is provoked (a stage stopped, its target down, lag
above threshold, spend over budget), with short windows from the same rule generator.

The run goes through the Claude path against the fake Messages API so that token and dollar
counters move; engines are SQLite only to keep the test light.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.dashboard import build_dashboard, panel_queries
from deploy.rules import AlertConfig, build_rules
from proto.common import Engine
from services.runner.supervisor import TARGETS_FILE
from shared.runtime.local import LocalStack, free_port, wait_for_port
from tests.e2e.harness import make_request, run_to_completion, start_services
from tests.e2e.test_claude_pipeline import KEY, scripted_spec
from tests.e2e.test_pipeline import assert_exactly_once
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel

pytestmark = [pytest.mark.e2e, pytest.mark.engines, pytest.mark.slow]

FAST = AlertConfig(
    rate_window="15s",
    rejection_window="15s",
    spend_window="10m",
    no_progress_for="2s",
    lag_for="2s",
    target_down_for="2s",
    lag_messages=0,
    spend_dollars=0.0,
)
PROVOKED = {
    "SqlsynthNoProgress",
    "SqlsynthTargetDown",
    "SqlsynthConsumerLagHigh",
    "SqlsynthLlmSpend",
}
# What Grafana would put in place of its variables, for a query sent straight to Prometheus.
GRAFANA_VARIABLES = {
    "$__rate_interval": "30s",
    "$__range": "10m",
    "$namespace": ".*",
    "$run": ".*",
}


def free_port_block(size: int) -> int:
    """A base port with `size` free ports after it (the supervisor hands them out in order)."""
    for _ in range(50):
        base = free_port()
        if base + size > 65000:
            continue
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


class Prometheus:
    def __init__(self, root: Path, targets: Path) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail("prometheus is missing (apt-get install prometheus; scripts/setup.sh)")
        root.mkdir(parents=True, exist_ok=True)
        (root / "rules.yml").write_text(yaml.safe_dump(build_rules(FAST)))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules.yml"],
            "scrape_configs": [
                {
                    "job_name": "sqlsynth",
                    "file_sd_configs": [{"files": [str(targets)], "refresh_interval": "1s"}],
                }
            ],
        }
        (root / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=(root / "prometheus.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.proc, 60, "prometheus")

    def get(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=expr)["result"]
        return result

    def firing(self) -> dict[str, list[dict[str, str]]]:
        alerts: dict[str, list[dict[str, str]]] = {}
        for alert in self.get("/api/v1/alerts")["alerts"]:
            if alert["state"] == "firing":
                alerts.setdefault(alert["labels"]["alertname"], []).append(alert["labels"])
        return alerts

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path / "prometheus", tmp_path / "logs" / TARGETS_FILE)
    try:
        yield server
    finally:
        server.stop()


def panel_expressions() -> list[tuple[str, str]]:
    queries = []
    for title, expr in panel_queries(build_dashboard()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        queries.append((title, expr))
    return queries


async def wait_for(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = await asyncio.to_thread(check)
        if last:
            return last
        await asyncio.sleep(1)
    raise AssertionError(f"{what} not seen in {timeout_s}s; last: {last}")


async def test_panels_have_data_and_alerts_fire_on_a_real_run(
    stack: LocalStack, tmp_path: Path, prometheus: Prometheus
) -> None:
    scripted = ScriptedModel(wrong_sql_rate=0.2, use_tools_rate=0.0, review_fail_rate=0.0)
    env = {
        "SQLSYNTH_GENERATOR": "claude",
        "ANTHROPIC_API_KEY": KEY,
        "SQLSYNTH_LLM_TIMEOUT_S": "30",
        "SQLSYNTH_METRICS_PORT": str(free_port_block(12)),
    }
    empty_panels: dict[str, list[str]] = {}

    def panels_without_data() -> list[str]:
        return [title for title, expr in panel_expressions() if not prometheus.query(expr)]

    async def during(status: Any) -> None:
        # Once the sink has finished a few samples, every panel must have data; asked once.
        if status.finished >= 4 and "during" not in empty_panels:
            empty_panels["during"] = await asyncio.to_thread(panels_without_data)

    with FakeAnthropic(scripted, FakeConfig(latency_s=(0.05, 0.2))) as fake:
        env["ANTHROPIC_BASE_URL"] = fake.base_url
        services = start_services(stack, tmp_path, [Engine.SQLITE], extra_env=env)
        try:
            targets = json.loads((tmp_path / "logs" / TARGETS_FILE).read_text())
            assert {t["labels"]["service"] for t in targets} >= {"monitor", "sink", "dedup"}
            assert len({t["targets"][0] for t in targets}) == len(targets)  # a port each
            first = make_request(
                12, seed=3, spec=scripted_spec(), generator="claude", engines=[Engine.SQLITE]
            )
            output = await run_to_completion(
                stack, services, first, tmp_path, timeout_s=240, during=during
            )
            assert_exactly_once(output)
            assert "during" in empty_panels, "the run ended before the check"
            # Scrapes lag the run by a second or two: a panel still empty then is retried.
            for _ in range(30):
                if not empty_panels["during"]:
                    break
                await asyncio.sleep(1)
                empty_panels["during"] = await asyncio.to_thread(panels_without_data)
            assert not empty_panels["during"], f"panels without data: {empty_panels['during']}"

            # Provoke: dedup stops, a second run queues work behind it.
            services.kill("dedup-0")
            second = make_request(
                6, seed=4, spec=scripted_spec(), generator="claude", engines=[Engine.SQLITE]
            )
            started = time.monotonic()
            waiting = asyncio.create_task(
                run_to_completion(stack, services, second, tmp_path, timeout_s=300)
            )
            firing = await wait_for(
                lambda: set(prometheus.firing()) >= PROVOKED and prometheus.firing(),
                120,
                f"alerts {sorted(PROVOKED)}",
            )
            detected_s = time.monotonic() - started
            assert any(a.get("service") == "dedup" for a in firing["SqlsynthTargetDown"])
            assert any(a.get("consumer") == "dedup" for a in firing["SqlsynthConsumerLagHigh"])
            # Recovery: dedup is back, the queued run finishes with nothing lost.
            services.start("dedup", 0)
            resumed = await waiting
            # Both runs write into one folder: the second is checked by its own ids.
            assert_exactly_once(resumed, reached_target=False)
            mine = [r for r in resumed.records("dataset.jsonl") if r["run_id"] == second.run_id]
            assert len(mine) == second.count
            print(f"alerts firing {detected_s:.1f}s after dedup stopped; {sorted(firing)}")
        finally:
            services.stop_all()
