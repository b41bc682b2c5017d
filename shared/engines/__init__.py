"""Validation engines: SQLite, PostgreSQL and MySQL behind one sandboxed interface."""

from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture, fixture_from_draft
from shared.engines.registry import ENGINE_CLASSES, close_engines, open_engines
from shared.engines.render import render_fixture, render_sql
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator

__all__ = [
    "ENGINE_CLASSES",
    "EngineSettings",
    "Fixture",
    "SqlEngine",
    "Validator",
    "close_engines",
    "fixture_from_draft",
    "open_engines",
    "render_fixture",
    "render_sql",
]
