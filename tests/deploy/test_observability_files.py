"""The observability files: generated as code without drift, alert rules unit-tested with
promtool, and a dashboard that only asks for metrics the processes export."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.build import ALERTS, DASHBOARD, render_alerts, render_dashboard
from deploy.dashboard import build_dashboard, panel_queries
from deploy.rules import AlertConfig, build_rules
from services.monitor.main import BrokerGauges
from shared.metrics import Metrics

HERE = Path(__file__).resolve().parents[2] / "deploy"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing (apt-get install prometheus; scripts/setup.sh does)")
    return found


def exported_names() -> set[str]:
    """Every metric family name the services and the monitor can expose, with suffixes."""
    names: set[str] = set()
    for registry in (Metrics().registry, BrokerGauges().registry):
        for family in registry.collect():
            names.add(family.name)
            for suffix in ("_total", "_bucket", "_sum", "_count"):
                names.add(family.name + suffix)
    return names


def test_generated_files_are_current() -> None:
    assert ALERTS.read_text() == render_alerts(), "run `python -m deploy.build`"
    assert DASHBOARD.read_text() == render_dashboard(), "run `python -m deploy.build`"


def test_alert_rules_pass_their_promtool_unit_tests() -> None:
    check = subprocess.run(
        [promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=HERE / "prometheus",
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "SUCCESS" in tests.stdout


def test_every_alert_has_a_promtool_case() -> None:
    alerts = {rule["alert"] for rule in build_rules()["groups"][0]["rules"]}
    cases = yaml.safe_load((HERE / "prometheus" / "alerts_test.yml").read_text())["tests"]
    tested = {
        case["alertname"]
        for test in cases
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert alerts == tested


def test_a_fast_configuration_changes_only_windows_and_thresholds() -> None:
    fast = AlertConfig(rate_window="10s", no_progress_for="1s", lag_messages=2)
    slow_rules = build_rules()["groups"][0]["rules"]
    fast_rules = build_rules(fast)["groups"][0]["rules"]
    assert [r["alert"] for r in fast_rules] == [r["alert"] for r in slow_rules]
    no_progress = next(r for r in fast_rules if r["alert"] == "SqlsynthNoProgress")
    assert "[10s]" in no_progress["expr"] and no_progress["for"] == "1s"


def test_dashboard_asks_only_for_exported_metrics() -> None:
    exported = exported_names()
    queries = panel_queries(build_dashboard())
    assert len(queries) >= 15
    for title, expr in queries:
        for name in re.findall(r"\b(sqlsynth_[a-z_]+)", expr):
            assert name in exported, (title, name)


def test_dashboard_has_datasource_and_filters() -> None:
    document = build_dashboard()
    variables = {v["name"]: v for v in document["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert {"namespace", "run"} <= set(variables)
    for panel in document["panels"]:
        if panel.get("type") == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            if "sqlsynth_" in target["expr"] or "up{" in target["expr"]:
                assert 'namespace=~"$namespace"' in target["expr"], panel["title"]


def test_provisioning_points_at_the_dashboard_folder() -> None:
    provider = yaml.safe_load(
        (HERE / "grafana" / "provisioning" / "dashboards" / "sqlsynth.yaml").read_text()
    )
    assert provider["providers"][0]["type"] == "file"
    source = yaml.safe_load(
        (HERE / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    assert source["datasources"][0]["type"] == "prometheus"
