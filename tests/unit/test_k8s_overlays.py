"""The Kubernetes overlays stay consistent with the base: every patch targets a resource the
base defines, and (where kubectl is installed) every overlay builds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "k8s"
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def defined(directory: Path) -> set[tuple[str, str]]:
    """(kind, name) of every resource a kustomization directory includes, recursively."""
    found: set[tuple[str, str]] = set()
    [kustomization] = documents(directory / "kustomization.yaml")
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            found |= defined(target)
        else:
            found |= {(d["kind"], d["metadata"]["name"]) for d in documents(target)}
    return found


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_every_patch_targets_a_resource_the_overlay_includes(overlay: Path) -> None:
    resources = defined(overlay)
    [kustomization] = documents(overlay / "kustomization.yaml")
    targets = [(p["target"]["kind"], p["target"]["name"]) for p in kustomization.get("patches", [])]
    assert targets, "an overlay without patches"
    assert set(targets) <= resources, set(targets) - resources


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_overlay_builds_with_kustomize(overlay: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed here (the structural test above still ran)")
    built = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    kinds = {d["kind"] for d in yaml.safe_load_all(built.stdout) if d}
    assert {"Deployment", "ScaledObject", "ConfigMap"} <= kinds


def test_batch_overlay_keeps_one_generator_with_its_journal_on_a_volume() -> None:
    kubectl = shutil.which("kubectl")
    overlay = K8S / "overlays" / "batch"
    [kustomization] = documents(overlay / "kustomization.yaml")
    patched = yaml.safe_dump(kustomization["patches"])
    assert "SQLSYNTH_BATCH" in patched and "maxReplicaCount" in patched
    if kubectl is None:
        return
    built = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True)
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    [generator] = [
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "generator"
    ]
    env = {
        e["name"]: e.get("value")
        for e in generator["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["SQLSYNTH_BATCH"] == "1" and generator["spec"]["replicas"] == 1
    [scaler] = [
        d for d in docs if d["kind"] == "ScaledObject" and d["metadata"]["name"] == "generator"
    ]
    assert scaler["spec"]["maxReplicaCount"] == 1
