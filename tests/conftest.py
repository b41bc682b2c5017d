"""Shared fixtures: one private server stack per test session, stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.runtime.local import LocalStack

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.exists():
        pytest.fail(f"the shared data folder is missing: {DATA}")
    return DATA


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """nats-server, PostgreSQL and MariaDB on loopback; absent servers fail loudly, not skip."""
    local = LocalStack.start(["nats", "postgres", "mysql"])
    try:
        if local.unavailable and not os.environ.get("SQLSYNTH_ALLOW_MISSING_ENGINES"):
            pytest.fail(f"servers unavailable: {local.unavailable}")
        yield local
    finally:
        local.stop()
