"""The dev overlay's pods, started as their pods would run (tests/k8s/pods.py: bubblewrap,
read-only root, only the volumes writable, uid 10001, no HOME, no torch, the rendered manifests'
environment) against real servers configured from the same overlay: nats-server with the
overlay's nats.conf (password login), PostgreSQL with the overlay's logging arguments and init
SQL, MariaDB with the overlay's MySQL init SQL and the application user it grants. A small run
goes through every stage, and the ingest sidecar turns PostgreSQL's csvlog into seed events.

Not as in the cluster (stated in docs/kubernetes.md): dedup uses Qdrant local mode on a /state
volume (no Qdrant server binary here), MariaDB stands in for MySQL 8, one shared network."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomysql
import asyncpg
import nats
import pytest
from nats.errors import NoServersError

from proto import subjects
from proto.seed import SeedEvent
from services.runner.client import RunClient, run_ended
from shared.engines.provision import parse_mysql_dsn
from shared.runtime.local import (
    Server,
    free_port,
    nats_server_binary,
    server_dir,
    start_mariadb,
    start_postgres,
    wait_for_port,
)
from shared.similarity.embedders import distilled_model_dir
from tests.e2e.harness import make_request
from tests.k8s.manifests import REPO, Doc, find, render, secret_data
from tests.k8s.pods import (
    Pod,
    block_absent_packages,
    own_by_pod_user,
    service_pod,
    start_pod,
)

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]

DEV = REPO / "k8s" / "overlays" / "dev"
SERVICES = [  # (kind, name, volumes the manifest mounts: path -> writable)
    ("StatefulSet", "sink", ["/data/out"]),
    ("Deployment", "dedup", []),
    ("Deployment", "reviser", []),
    ("Deployment", "validator", []),
    ("Deployment", "generator", []),
    ("Deployment", "planner", []),
]
# Statements an application runs on its `app` database: what ingest should turn into seeds.
APP_SQL = [
    "CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, city text)",
    "INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Linus', 'Helsinki')",
    "SELECT name FROM customers WHERE city = 'London'",
    "SELECT city, count(*) FROM customers GROUP BY city ORDER BY city",
]


@dataclass
class Cluster:
    docs: tuple[Doc, ...]
    root: Path
    hosts: dict[str, str]  # "service:port" in the manifests -> "127.0.0.1:port" here
    pg_logs: Path
    servers: list[Server]

    def localise(self, env: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, value in env.items():
            for host, local in self.hosts.items():
                value = value.replace(f"@{host}", f"@{local}")
            out[key] = value
        return out


def postgres_args(docs: tuple[Doc, ...], log_dir: Path) -> list[str]:
    """The overlay's `-c` settings, with the log volume's mount path mapped to `log_dir`."""
    postgres = find(docs, "StatefulSet", "postgres")["spec"]["template"]["spec"]["containers"][0]
    args = list(postgres["args"])
    return [f"log_directory={log_dir}" if a.startswith("log_directory=") else a for a in args]


def start_nats_from_manifest(docs: tuple[Doc, ...], root: Path) -> tuple[Server, int]:
    conf = find(docs, "ConfigMap", "nats-config")["data"]["nats.conf"]
    port, http = free_port(), free_port()
    store = root / "nats"
    store.mkdir()
    conf = (
        conf.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{port}")
        .replace("http: 0.0.0.0:8222", f"http: 127.0.0.1:{http}")
        .replace("store_dir: /data", f"store_dir: {store}")
    )
    (root / "nats.conf").write_text(conf)
    password = secret_data(docs, secret_name(docs, "sqlsynth-nats"))["NATS_PASSWORD"]
    proc = subprocess.Popen(
        [nats_server_binary(), "-c", str(root / "nats.conf")],
        env={"POD_NAME": "nats-0", "NATS_PASSWORD": password},
        stdout=(root / "nats.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server("nats", port, proc, "")
    wait_for_port(port, proc, 30, "nats-server")
    return server, http


def secret_name(docs: tuple[Doc, ...], prefix: str) -> str:
    """Generated secrets carry a content hash suffix."""
    [name] = [
        d["metadata"]["name"]
        for d in docs
        if d["kind"] == "Secret" and d["metadata"]["name"].startswith(prefix)
    ]
    return str(name)


def sql_statements(path: Path) -> list[str]:
    """An init file's statements, as the images' entrypoints run them (one at a time)."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in text.split(";") if statement.strip()]


async def prepare_engines(docs: tuple[Doc, ...], pg: Server, maria: Server) -> None:
    """What the postgres and mysql images do on first start: the app user, then the init SQL."""
    engines = secret_data(docs, secret_name(docs, "sqlsynth-engines"))
    pg_password = engines["SQLSYNTH_POSTGRES_DSN"].split(":")[2].split("@")[0]
    conn = await asyncpg.connect(pg.dsn)
    try:
        await conn.execute(f"ALTER ROLE sqlsynth PASSWORD '{pg_password}'")
        for statement in sql_statements(DEV / "postgres-init.sql"):
            await conn.execute(statement)
    finally:
        await conn.close()
    mysql_password = str(parse_mysql_dsn(engines["SQLSYNTH_MYSQL_DSN"])["password"])
    # The private server's admin password is random per stack: it is in the server's DSN.
    admin = await aiomysql.connect(**parse_mysql_dsn(maria.dsn))
    try:
        async with admin.cursor() as cur:
            await cur.execute(f"CREATE USER 'sqlsynth'@'%' IDENTIFIED BY '{mysql_password}'")
            for statement in sql_statements(DEV / "mysql-init.sql"):
                await cur.execute(statement)
            # The local admin of the same name would shadow it on 127.0.0.1: from here on the
            # validator has only what the init SQL granted.
            await cur.execute("DROP USER 'sqlsynth'@'127.0.0.1'")
    finally:
        admin.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    docs = render("dev")
    root = tmp_path_factory.mktemp("k8s-dev")
    os.chmod(root, 0o755)
    servers: list[Server] = []
    try:
        # PostgreSQL runs as its own user: its log folder lives where that user can reach it.
        pg_logs = server_dir(root / "servers") / "pg-logs"
        pg_logs.mkdir(exist_ok=True)
        # fsGroup on the shared log volume: group of the ingest user, setgid, so the sidecar
        # reads the 0640 files PostgreSQL writes there.
        postgres_user = pwd.getpwnam("postgres")
        os.chown(pg_logs, postgres_user.pw_uid, 10001)
        os.chmod(pg_logs, 0o2770)
        pg = start_postgres(root / "servers", postgres_args(docs, pg_logs))
        servers.append(pg)
        try:
            maria = start_mariadb(root / "servers")
        except subprocess.CalledProcessError:  # mariadb-install-db now and then fails under load
            maria = start_mariadb(root / "servers-again")
        servers.append(maria)
        nats_server, _ = start_nats_from_manifest(docs, root)
        servers.append(nats_server)
        asyncio.run(prepare_engines(docs, pg, maria))
        hosts = {
            "nats:4222": f"127.0.0.1:{nats_server.port}",
            "postgres:5432": f"127.0.0.1:{pg.port}",
            "mysql:3306": f"127.0.0.1:{maria.port}",
        }
        yield Cluster(docs, root, hosts, pg_logs, servers)
    finally:
        for server in reversed(servers):
            server.stop()


def image_models(root: Path) -> Path:
    """The distilled model as the image holds it: a copy readable by all (Dockerfile chmod)."""
    target = root / "image-models"
    if not target.exists():
        model = distilled_model_dir()  # built by scripts/setup.sh
        shutil.copytree(model, target / model.name)
        subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True)
    return target


def ready(port: int) -> bool:
    url = f"http://127.0.0.1:{port}/readyz"
    with (
        contextlib.suppress(urllib.error.URLError, OSError),
        urllib.request.urlopen(url, timeout=2) as answer,
    ):
        return bool(answer.status == 200)
    return False


def launch(cluster: Cluster, pod: Pod, blocked: Path) -> tuple[subprocess.Popen[bytes], int]:
    health = free_port()
    pod.env = cluster.localise(pod.env)
    pod.env["SQLSYNTH_METRICS_PORT"] = str(free_port())
    pod.env["SQLSYNTH_HEALTH_PORT"] = str(health)
    pod.env["SQLSYNTH_ACK_WAIT_S"] = "10"
    pod.writable["/tmp"] = own_by_pod_user(cluster.root / pod.name / "tmp")
    pod.readonly[pod.env["SQLSYNTH_MODEL_CACHE"]] = image_models(cluster.root)
    logs = cluster.root / "logs"
    logs.mkdir(exist_ok=True)
    return start_pod(pod, blocked, logs / f"{pod.name}.log"), health


def stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait_ready(
    cluster: Cluster, procs: dict[str, subprocess.Popen[bytes]], ports: dict[str, int]
) -> None:
    deadline = time.monotonic() + 240
    waiting = set(ports)
    while waiting and time.monotonic() < deadline:
        for name in list(waiting):
            if procs[name].poll() is not None:
                log = (cluster.root / "logs" / f"{name}.log").read_text()[-3000:]
                raise AssertionError(f"pod {name} exited ({procs[name].returncode}): {log}")
            if ready(ports[name]):
                waiting.discard(name)
        time.sleep(0.5)
    assert not waiting, f"pods never ready: {waiting}"


async def run_job(url: str, count: int) -> tuple[object, object]:
    client = await RunClient.connect(url)
    request = make_request(count, seed=22)
    try:
        await client.request_run(request)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status, plan = await client.status(request.run_id), await client.plan(request.run_id)
            if run_ended(status, plan):
                return status, plan
            await asyncio.sleep(0.5)
        raise AssertionError(f"the run did not end: {status}")
    finally:
        await client.close()


async def app_traffic(cluster: Cluster) -> None:
    engines = cluster.localise(
        secret_data(cluster.docs, secret_name(cluster.docs, "sqlsynth-engines"))
    )
    dsn = engines["SQLSYNTH_POSTGRES_DSN"].rsplit("/", 1)[0] + "/app"
    conn = await asyncpg.connect(dsn)
    try:
        for statement in APP_SQL:
            await conn.execute(statement)
    finally:
        await conn.close()


async def ingested_seeds(url: str, wanted: int, timeout_s: float = 60) -> list[SeedEvent]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subjects.SEED_INGESTED, ordered_consumer=True)
        seeds: list[SeedEvent] = []
        deadline = time.monotonic() + timeout_s
        while len(seeds) < wanted and time.monotonic() < deadline:
            with contextlib.suppress(nats.errors.TimeoutError):
                msg = await sub.next_msg(timeout=1)
                seeds.append(SeedEvent.model_validate_json(msg.data))
        return seeds
    finally:
        await nc.close()


def test_nats_refuses_clients_without_the_password(cluster: Cluster) -> None:
    async def connect() -> None:
        nc = await asyncio.wait_for(
            nats.connect(
                f"nats://{cluster.hosts['nats:4222']}",
                allow_reconnect=False,
                max_reconnect_attempts=0,
                connect_timeout=2,
            ),
            15,
        )
        await nc.close()

    with pytest.raises((NoServersError, nats.errors.Error, OSError)) as refused:
        asyncio.run(connect())
    assert not isinstance(refused.value, TimeoutError)


def test_pods_run_a_job_and_the_ingest_sidecar_publishes_seeds_from_the_csvlog(
    cluster: Cluster,
) -> None:
    blocked = block_absent_packages(cluster.root / "not-in-image")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    ports: dict[str, int] = {}
    volumes: dict[str, Path] = {}
    try:
        for kind, name, mounts in SERVICES:
            pod = service_pod(cluster.docs, kind, name)
            for path in mounts:
                volumes[path] = pod.writable[path] = own_by_pod_user(cluster.root / name / "vol")
            if name == "dedup":  # no Qdrant server binary here: local mode on a volume
                pod.env.pop("SQLSYNTH_QDRANT_URL")
                pod.env.pop("SQLSYNTH_QDRANT_API_KEY")
                pod.writable["/state"] = own_by_pod_user(cluster.root / name / "state")
                pod.env["SQLSYNTH_QDRANT_PATH"] = "/state/qdrant"
            procs[pod.name], ports[pod.name] = launch(cluster, pod, blocked)
        sidecar = service_pod(cluster.docs, "StatefulSet", "postgres", container="ingest")
        sidecar.name = "ingest-0"
        sidecar.readonly["/var/log/postgresql"] = cluster.pg_logs
        sidecar.writable["/state"] = own_by_pod_user(cluster.root / "ingest" / "state")
        procs[sidecar.name], ports[sidecar.name] = launch(cluster, sidecar, blocked)
        wait_ready(cluster, procs, ports)

        url = cluster.localise(
            {
                "u": secret_data(cluster.docs, secret_name(cluster.docs, "sqlsynth-nats"))[
                    "SQLSYNTH_NATS_URL"
                ]
            }
        )["u"]
        status, plan = asyncio.run(run_job(url, count=6))
        asyncio.run(app_traffic(cluster))
        seeds = asyncio.run(ingested_seeds(url, wanted=2))
        dead = {name: proc.returncode for name, proc in procs.items() if proc.poll() is not None}
    finally:
        stop(procs)
    assert not dead, dead
    out = volumes["/data/out"]
    accepted = [json.loads(line) for line in (out / "dataset.jsonl").read_text().splitlines()]
    assert status is not None and plan is not None
    assert status.accepted == len(accepted) >= 1, status  # type: ignore[attr-defined]
    assert status.accepted + status.duplicate + status.rejected == plan.planned  # type: ignore[attr-defined]
    selects = [s for s in seeds if "customers" in s.sql.lower()]
    assert selects, [s.sql for s in seeds]
    assert all(s.source.endswith("postgresql.csv") for s in selects)
