"""Engine settings, read from the environment with the SQLSYNTH_ prefix."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    """Where the engines are and how hard the sandbox squeezes each query.

    The DSNs are *admin* DSNs: the engines connect with them only to provision the sandbox
    roles/users and the scratch database, then run everything as those restricted accounts.
    """

    model_config = SettingsConfigDict(env_prefix="SQLSYNTH_", extra="ignore")

    postgres_dsn: str | None = None
    mysql_dsn: str | None = None
    # None keeps SQLite fixtures in memory; a directory keeps one file per fixture there.
    sqlite_dir: str | None = None
    statement_timeout_ms: int = Field(default=2000, ge=50)
    max_rows: int = Field(default=1000, ge=1)
    schema_cache_size: int = Field(default=512, ge=1)
    pool_size: int = Field(default=4, ge=1)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    # PostgreSQL database that holds every scratch schema (created on first start).
    scratch_database: str = "sqlsynth_scratch"
    # Prefix of the sandbox accounts: <prefix>_owner creates fixtures, <prefix>_query runs SQL.
    sandbox_prefix: str = "sqlsynth_sx"
    # Drop the scratch schemas this process created when it closes, and delete SQLite files
    # on eviction (they are only a cache). False keeps them for the next process to adopt.
    drop_on_close: bool = True
    # Bytes a result (rows of a read, or tables read back after a write) may hold in memory.
    max_result_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Bytes a fixture may take: its text and rows before building, its tables after.
    max_fixture_bytes: int = Field(default=64 * 1024 * 1024, ge=4096)
    # Address space of one SQLite worker process (it is killed, not the run, past it).
    sqlite_worker_memory_mb: int = Field(default=1024, ge=64)
    # Keys the scratch names: without it nobody can name another record's fixture. Replicas
    # of one run share it (SQLSYNTH_FIXTURE_SECRET); unset, each process draws its own.
    fixture_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_hex(16)))
