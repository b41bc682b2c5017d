"""Private servers are private (issue 14 §6): loopback only, random per-stack admin passwords,
no account that logs in without one."""

from __future__ import annotations

import stat
from pathlib import Path

import aiomysql
import asyncpg
import pymysql
import pytest

from shared.engines.provision import parse_mysql_dsn
from shared.runtime.local import LocalStack, admin_password

pytestmark = pytest.mark.engines

OLD_FIXED_PASSWORD = "sqlsynth-admin"


def test_admin_password_is_random_per_stack_and_kept_private(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    password = admin_password(first)
    assert password == admin_password(first)  # a resumed stack reaches the same server
    assert password != admin_password(second)
    assert len(password) >= 24
    assert stat.S_IMODE((first / "admin-password").stat().st_mode) == 0o600


async def test_mariadb_has_no_passwordless_or_remote_account(stack: LocalStack) -> None:
    dsn = stack.dsn("mysql")
    assert dsn
    admin = parse_mysql_dsn(dsn)
    assert admin["password"] not in ("", OLD_FIXED_PASSWORD)
    for user in ("root", ""):
        with pytest.raises(pymysql.err.OperationalError):
            await aiomysql.connect(host="127.0.0.1", port=admin["port"], user=user, password="")
    conn = await aiomysql.connect(**admin, autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                # Roles (the per-fixture grants) cannot log in: only accounts count.
                "SELECT User, Host FROM mysql.global_priv WHERE "
                "JSON_VALUE(Priv, '$.account_locked') IS NOT TRUE "
                "AND JSON_VALUE(Priv, '$.is_role') IS NOT TRUE AND ("
                "User = '' OR COALESCE(JSON_VALUE(Priv, '$.authentication_string'), '') = '')"
            )
            assert await cur.fetchall() == ()
            await cur.execute("SELECT @@bind_address")
            assert await cur.fetchone() == ("127.0.0.1",)
    finally:
        conn.close()


async def test_postgres_needs_the_random_password(stack: LocalStack) -> None:
    dsn = stack.dsn("postgres")
    assert dsn and OLD_FIXED_PASSWORD not in dsn
    port = int(dsn.rsplit(":", 1)[1].split("/")[0])
    for password in ("", OLD_FIXED_PASSWORD):
        with pytest.raises(
            (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
        ):
            await asyncpg.connect(
                host="127.0.0.1", port=port, user="sqlsynth", password=password, database="postgres"
            )
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
    finally:
        await conn.close()
