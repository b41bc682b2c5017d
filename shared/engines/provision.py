"""Sandbox accounts, provisioned from the admin DSNs: who may touch the scratch schemas.

Two accounts per server engine. The *owner* builds fixtures: it may create and drop scratch
schemas (PostgreSQL: schemas in a dedicated scratch database; MySQL: `sx_%` databases) and
nothing else. The *query* account runs untrusted SQL: it may read (and, inside transactions
that are always rolled back, change rows of) scratch tables, and nothing else — no DDL, no
files, no server settings, no other database. Passwords derive from the admin DSN, so every
replica provisions the same ones without sharing a secret store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import aiomysql
import asyncpg
import pymysql

from shared.engines.settings import EngineSettings

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,47}$")
SCRATCH_PREFIX = "sx_"
EMPTY_SCHEMA = "sx_empty"  # where the syntax level prepares: no tables, so names never resolve

# --- PostgreSQL ---------------------------------------------------------------------------

PG_ROLE_OPTIONS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
# Per-role defaults; {ms} is the statement timeout. temp_file_limit needs a superuser admin.
PG_ROLE_SETTINGS: dict[str, str] = {
    "statement_timeout": "{ms}",
    "lock_timeout": "{ms}",
    "idle_in_transaction_session_timeout": "60000",
    "temp_file_limit": "262144",  # kB: a runaway sort or CTE stops at 256 MB of temp files
    "jit": "off",  # compiling costs more than it saves on fixture-sized data
}
PG_QUERY_ROLE_SETTINGS: dict[str, str] = {"default_transaction_read_only": "on"}
# Callable by PUBLIC by default and useless to a query: revoked inside the scratch database.
PG_REVOKED_FUNCTIONS: tuple[str, ...] = (
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "pg_notify",
    "lo_import",
    "lo_export",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_terminate_backend",  # a role may signal its own backends: other checks in flight
    "pg_cancel_backend",
    "set_config",  # set_config('role', ...) would switch to another fixture's role
)


@dataclass(frozen=True)
class Accounts:
    owner: str
    owner_password: str
    query: str
    query_password: str


def derive_accounts(admin_dsn: str, settings: EngineSettings) -> Accounts:
    owner, query = f"{settings.sandbox_prefix}_owner", f"{settings.sandbox_prefix}_query"
    for name in (owner, query, settings.scratch_database):
        if not _SAFE_NAME.match(name):
            raise ValueError(f"unsafe sandbox name {name!r}: use [a-z0-9_]")
    return Accounts(
        owner, _derive_password(admin_dsn, owner), query, _derive_password(admin_dsn, query)
    )


def _derive_password(admin_dsn: str, account: str) -> str:
    return hashlib.sha256(f"sqlsynth-sandbox\0{account}\0{admin_dsn}".encode()).hexdigest()[:32]


async def provision_postgres(admin_dsn: str, settings: EngineSettings) -> Accounts:
    accounts = derive_accounts(admin_dsn, settings)
    database = settings.scratch_database
    ms = settings.statement_timeout_ms
    admin = await asyncpg.connect(admin_dsn, timeout=settings.connect_timeout_s)
    try:
        # Replicas starting together would race on CREATE ROLE / GRANT: one at a time.
        await admin.execute("SELECT pg_advisory_lock(hashtext('sqlsynth-provision'))")
        for role, password, extra in (
            (accounts.owner, accounts.owner_password, {}),
            (accounts.query, accounts.query_password, PG_QUERY_ROLE_SETTINGS),
        ):
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await admin.execute(f"{verb} ROLE {role} {PG_ROLE_OPTIONS} PASSWORD '{password}'")
            for key, value in {**PG_ROLE_SETTINGS, **extra}.items():
                await _try_hardening(
                    admin, f"ALTER ROLE {role} SET {key} = '{value.format(ms=ms)}'"
                )
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f"CREATE DATABASE {database}")
        await admin.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
        await admin.execute(f"GRANT CONNECT ON DATABASE {database} TO {accounts.query}")
        await admin.execute(f"GRANT CONNECT, CREATE ON DATABASE {database} TO {accounts.owner}")
        await admin.execute("SELECT pg_advisory_unlock(hashtext('sqlsynth-provision'))")
    finally:
        await admin.close()
    scratch = await asyncpg.connect(
        admin_dsn, database=database, timeout=settings.connect_timeout_s
    )
    try:
        await scratch.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        procs = await scratch.fetch(
            "SELECT p.oid::regprocedure::text AS sig FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'pg_catalog' AND p.proname = ANY($1::text[])",
            list(PG_REVOKED_FUNCTIONS),
        )
        for proc in procs:
            await _try_hardening(scratch, f"REVOKE EXECUTE ON FUNCTION {proc['sig']} FROM PUBLIC")
        await scratch.execute(
            f"CREATE SCHEMA IF NOT EXISTS {EMPTY_SCHEMA} AUTHORIZATION {accounts.owner}"
        )
        await scratch.execute(f"GRANT USAGE ON SCHEMA {EMPTY_SCHEMA} TO {accounts.query}")
    finally:
        await scratch.close()
    return accounts


async def _try_hardening(conn: asyncpg.Connection, sql: str) -> None:
    """Hardening a non-superuser admin may not be allowed to apply: log, don't fail."""
    try:
        await conn.execute(sql)
    except asyncpg.InsufficientPrivilegeError as exc:
        log.warning("postgres sandbox: %s skipped (%s)", sql, exc)


# --- MySQL / MariaDB ----------------------------------------------------------------------

# MySQL 8's default sql_mode, exactly: a record valid here reads the same on a stock MySQL 8
# ("x" is a string there, `x` an identifier; no ANSI_QUOTES, no PIPES_AS_CONCAT). The screen
# (sandbox.py, lexing.py) tokenises with the same reading.
MYSQL_SQL_MODE = (
    "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)
# The owner (fixture builder) also ignores DATA/INDEX DIRECTORY: table files stay in the
# server's data folder whatever the DDL says. It changes no reading of SQL.
MYSQL_OWNER_SQL_MODE = f"{MYSQL_SQL_MODE},NO_DIR_IN_CREATE"


@dataclass(frozen=True)
class MysqlFlavour:
    """What differs between MariaDB and MySQL 8 for the sandbox."""

    name: str
    # Session statement timeout; {s} seconds, {ms} milliseconds.
    session_timeout: str
    # Lift the recursion cap so a runaway recursive CTE meets the timeout (MariaDB would
    # otherwise stop it silently with a warning and return a truncated result).
    session_recursion: str
    timeout_errors: frozenset[int]
    # Appended to ALTER USER for the query account ("" when the server has no such limit).
    user_limits: str
    # The stock default collation of MySQL 8 (utf8mb4_0900_ai_ci), or MariaDB 10.11's nearest:
    # case- and accent-insensitive UCA 14.0 and, like 0900_ai_ci, NO PAD ('a' <> 'a '), which
    # the PAD SPACE utf8mb4_uca1400_ai_ci is not. Text compares as a user's server compares it.
    collation: str

    @property
    def database_options(self) -> str:
        return f"CHARACTER SET utf8mb4 COLLATE {self.collation}"


MYSQL_FLAVOURS: dict[str, MysqlFlavour] = {
    # MariaDB: max_statement_time (seconds) covers every statement, reads and writes.
    "mariadb": MysqlFlavour(
        "mariadb",
        "max_statement_time = {s}",
        "max_recursive_iterations = 4294967295",
        frozenset({1969}),
        "WITH MAX_STATEMENT_TIME {s}",
        "utf8mb4_uca1400_nopad_ai_ci",
    ),
    # MySQL 8: max_execution_time (ms) covers SELECT only; writes rely on the client deadline.
    "mysql": MysqlFlavour(
        "mysql",
        "max_execution_time = {ms}",
        "cte_max_recursion_depth = 4294967295",
        frozenset({3024, 3636}),
        "",
        "utf8mb4_0900_ai_ci",
    ),
}


def detect_flavour(version: str) -> MysqlFlavour:
    return MYSQL_FLAVOURS["mariadb" if "mariadb" in version.lower() else "mysql"]


def parse_mysql_dsn(dsn: str) -> dict[str, object]:
    """mysql://user:password@host:port/db → aiomysql keyword arguments."""
    url = urlparse(dsn)
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 3306,
        "user": unquote(url.username or "root"),
        "password": unquote(url.password or ""),
    }


def build_session_settings(
    flavour: MysqlFlavour, settings: EngineSettings, *, owner: bool = False
) -> str:
    ms = settings.statement_timeout_ms
    timeout = flavour.session_timeout.format(s=ms / 1000, ms=ms)
    mode = MYSQL_OWNER_SQL_MODE if owner else MYSQL_SQL_MODE
    # collation_connection: literals compare as the columns do (the database default).
    return (
        f"SET SESSION sql_mode = '{mode}', time_zone = '+00:00', "
        f"collation_connection = '{flavour.collation}', {timeout}, " + flavour.session_recursion
    )


async def provision_mysql(dsn: str, settings: EngineSettings) -> tuple[MysqlFlavour, Accounts]:
    accounts = derive_accounts(dsn, settings)
    control = f"{settings.sandbox_prefix}_ctl"
    # connect_timeout bounds the TCP connect only; a server that never greets needs wait_for.
    conn = await asyncio.wait_for(
        aiomysql.connect(
            **parse_mysql_dsn(dsn), autocommit=True, connect_timeout=settings.connect_timeout_s
        ),
        settings.connect_timeout_s * 2,
    )
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT VERSION()")
            row = await cur.fetchone()
            flavour = detect_flavour(str(row[0]) if row else "")
            await cur.execute("SET SESSION sql_notes = 0")  # "already exists" is expected here
            await cur.execute("SELECT GET_LOCK('sqlsynth-provision', 30)")
            seconds = settings.statement_timeout_ms / 1000
            for user, password, limits in (
                (accounts.owner, accounts.owner_password, ""),
                (accounts.query, accounts.query_password, flavour.user_limits),
            ):
                await cur.execute(
                    f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{password}'"
                )
                await cur.execute(
                    f"ALTER USER '{user}'@'%' IDENTIFIED BY '{password}' "
                    + limits.format(s=seconds)
                )
            # `sx\_%`: databases whose name starts with "sx_" (the underscore is literal).
            await cur.execute(
                "GRANT SELECT, INSERT, CREATE, DROP, INDEX, REFERENCES, ALTER "
                f"ON `sx\\_%`.* TO '{accounts.owner}'@'%'"
            )
            # The query user reaches a fixture only through that fixture's role (SET ROLE per
            # check); directly it holds the empty schema alone. EXECUTE: no routines exist
            # there (nobody may create one); without it an unknown function reads "execute
            # command denied" instead of "does not exist".
            with contextlib.suppress(pymysql.err.MySQLError):  # granted by older versions
                await cur.execute(
                    "REVOKE SELECT, INSERT, UPDATE, DELETE, EXECUTE "
                    f"ON `sx\\_%`.* FROM '{accounts.query}'@'%'"
                )
            await cur.execute(
                f"GRANT SELECT, EXECUTE ON {EMPTY_SCHEMA}.* TO '{accounts.query}'@'%'"
            )
            await cur.execute(f"CREATE DATABASE IF NOT EXISTS {control}")
            await cur.execute(
                f"CREATE TABLE IF NOT EXISTS {control}.fixtures "
                "(name VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB"
            )
            await cur.execute(
                f"GRANT SELECT, INSERT, DELETE ON {control}.* TO '{accounts.owner}'@'%'"
            )
            await cur.execute(
                f"CREATE DATABASE IF NOT EXISTS {EMPTY_SCHEMA} {flavour.database_options}"
            )
            await cur.execute("SELECT RELEASE_LOCK('sqlsynth-provision')")
    finally:
        conn.close()
    return flavour, accounts
