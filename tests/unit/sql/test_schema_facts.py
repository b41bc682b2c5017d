"""Schema facts from DDL: hand-checked fixtures per dialect, and BIRD's DDL against its own
Spider-style table list (an independent record of the same schemas)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from proto.common import Engine
from shared.sql.schema_facts import SchemaFacts, extract_schema_facts
from tests.unit.sql.fixture_cases import dialects_of, load_yaml, spell


def schema_params() -> list[Any]:
    params = []
    for case in load_yaml("schema", "schema_facts.yaml")["cases"]:
        for dialect in dialects_of(case):
            params.append(pytest.param(case, dialect, id=f"{case['id']}-{dialect}"))
    return params


def as_plain(facts: SchemaFacts) -> dict[str, Any]:
    return {
        "tables": list(facts.tables),
        "columns": {table: list(cols) for table, cols in facts.columns.items()},
        "num_columns": facts.num_columns,
        "primary_keys": {table: list(keys) for table, keys in facts.primary_keys.items()},
        "foreign_keys": [list(fk) for fk in facts.foreign_keys],
        "unparsed": facts.unparsed,
    }


@pytest.mark.parametrize(("case", "dialect"), schema_params())
def test_schema_fixture(case: dict[str, Any], dialect: Engine) -> None:
    facts = extract_schema_facts(spell(case, dialect, field="ddl"), dialect)
    assert as_plain(facts) == {"unparsed": 0, **case["expect"]}
    assert facts.has_primary_key == bool(case["expect"]["primary_keys"])
    assert facts.has_foreign_key == bool(case["expect"]["foreign_keys"])


def test_facts_are_immutable() -> None:
    facts = extract_schema_facts("CREATE TABLE t (a INT PRIMARY KEY)")
    with pytest.raises(TypeError):
        facts.columns["t"] = ()  # type: ignore[index]


def bird_schema_cases(data_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    tables = json.loads((data_dir / "bird_minidev" / "dev_tables.json").read_text())
    return [(data_dir / "bird_minidev" / "schemas" / f"{db['db_id']}.sql", db) for db in tables]


def test_bird_ddl_matches_its_table_list(data_dir: Path) -> None:
    cases = bird_schema_cases(data_dir)
    assert len(cases) == 11
    for path, db in cases:
        facts = extract_schema_facts(path.read_text(encoding="utf-8"), Engine.SQLITE)
        expected: dict[str, list[str]] = defaultdict(list)
        for table_index, column in db["column_names_original"]:
            if table_index >= 0:
                expected[db["table_names_original"][table_index].lower()].append(column.lower())
        assert facts.unparsed == 0, path.name
        assert sorted(facts.tables) == sorted(name.lower() for name in db["table_names_original"])
        assert {table: list(cols) for table, cols in facts.columns.items()} == dict(expected)
