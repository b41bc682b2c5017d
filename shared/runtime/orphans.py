"""No process outlives the command that started it.

Every server and service of an embedded run records its process group in `PIDS_DIR` under the
run's state folder. A small reaper process watches the command: it is started with the kernel's
parent-death signal (PR_SET_PDEATHSIG), so when the command dies — SIGKILL included, which no
handler can catch — the kernel signals the reaper, which stops every recorded group (SIGTERM,
then SIGKILL after a grace period). `--resume` reads the same folder to refuse while an
earlier run's processes still live.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PIDS_DIR = "pids"
PR_SET_PDEATHSIG = 1
GRACE_S = 10.0


def set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def record(pids_dir: Path, name: str, pgid: int) -> None:
    pids_dir.mkdir(parents=True, exist_ok=True)
    (pids_dir / f"{name}.pid").write_text(str(pgid))


def forget(pids_dir: Path, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (pids_dir / f"{name}.pid").unlink()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recorded(pids_dir: Path) -> dict[str, int]:
    """Recorded process groups by name (unreadable files are skipped)."""
    groups: dict[str, int] = {}
    for path in sorted(pids_dir.glob("*.pid")) if pids_dir.is_dir() else []:
        with contextlib.suppress(ValueError, OSError):
            groups[path.stem] = int(path.read_text().strip())
    return groups


def living(pids_dir: Path) -> dict[str, int]:
    """Recorded groups that still have a process; files of dead ones are removed."""
    alive = {}
    for name, pgid in recorded(pids_dir).items():
        if group_alive(pgid):
            alive[name] = pgid
        else:
            forget(pids_dir, name)
    return alive


def stop_groups(pids_dir: Path, grace_s: float = GRACE_S) -> list[str]:
    """SIGTERM every recorded group, SIGKILL what is left after `grace_s`; names stopped."""
    groups = living(pids_dir)
    for pgid in groups.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(group_alive(g) for g in groups.values()):
        time.sleep(0.2)
    for pgid in groups.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    for name in groups:
        forget(pids_dir, name)
    return sorted(groups)


def start_reaper(pids_dir: Path) -> subprocess.Popen[bytes]:
    """The watcher of this process: it stops every recorded group if this process dies."""
    pids_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "shared.runtime.orphans", str(pids_dir), str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=set_parent_death_signal,
        start_new_session=True,
    )


def stop_reaper(reaper: subprocess.Popen[bytes]) -> None:
    """A clean end: the command stopped its children itself; the reaper has nothing left."""
    if reaper.poll() is None:
        reaper.send_signal(signal.SIGUSR1)
        try:
            reaper.wait(5)
        except subprocess.TimeoutExpired:
            reaper.kill()
            reaper.wait(5)


def reap(pids_dir: Path, parent: int) -> None:
    """The reaper's body: wait for the parent to die (or for SIGUSR1: a clean end), then stop."""
    state = {"parent_died": False, "done": False}

    def on_parent_death(*_: object) -> None:
        state["parent_died"] = True

    def on_clean_end(*_: object) -> None:
        state["done"] = True

    signal.signal(signal.SIGTERM, on_parent_death)
    signal.signal(signal.SIGHUP, on_parent_death)
    signal.signal(signal.SIGUSR1, on_clean_end)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the command's to handle
    while not state["done"]:
        # The parent-death signal, or a parent that is already gone (it died before prctl).
        if state["parent_died"] or os.getppid() != parent:
            stop_groups(pids_dir)
            return
        time.sleep(0.2)


if __name__ == "__main__":
    reap(Path(sys.argv[1]), int(sys.argv[2]))
