"""read_schema: the sense checks' view of a schema, from the one parse the facts are read from
(#23: the DDL was parsed a second time, statement by statement, for the column types)."""

from __future__ import annotations

import pytest
import sqlglot

from proto.common import Engine
from shared.record_scope import record_scope
from shared.sense.record import read_schema
from shared.sql import schema_facts
from shared.sql.schema_facts import read_schema_creates

DDL = (
    "CREATE TABLE dept (id INTEGER PRIMARY KEY, Name VARCHAR(40) NOT NULL);\n"
    "CREATE TABLE emp (id INTEGER PRIMARY KEY, dept_id INTEGER REFERENCES dept (id),"
    " pay DECIMAL(10, 2), note TEXT(30));\n"
    "INSERT INTO dept VALUES (1, 'ops');"
)


def test_types_and_not_nulls_come_from_the_facts_own_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = schema_facts.parse_tokens  # type: ignore[attr-defined]

    def counted(tokens: list[object], text: str, dialect_name: str) -> object:
        calls.append(text)
        return real(tokens, text, dialect_name)  # type: ignore[arg-type]

    def second_parse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the DDL was parsed a second time")

    monkeypatch.setattr(schema_facts, "parse_tokens", counted)
    monkeypatch.setattr(sqlglot, "parse_one", second_parse)
    with record_scope():
        info = read_schema(DDL)
    assert len(calls) == 2  # the two CREATE TABLEs, once each; the INSERT is not parsed
    assert dict(info.types["emp"]) == {
        "id": "INT",
        "dept_id": "INT",
        "pay": "DECIMAL(10, 2)",
        "note": "TEXT(30)",
    }
    assert info.not_null == frozenset({("dept", "name")})
    assert info.spelling("name") == "Name"
    assert info.facts.foreign_keys == (("emp", "dept_id", "dept", "id"),)


def test_a_schema_file_that_opens_with_comments_has_its_types_read() -> None:
    """BIRD's schema files start with comment lines: the old per-statement reading skipped
    every CREATE TABLE after one, so the checks saw no column types at all."""
    ddl = "-- the card games database\n-- exported\nCREATE TABLE cards (id INTEGER, name TEXT);"
    info = read_schema(ddl)
    assert dict(info.types["cards"]) == {"id": "INT", "name": "TEXT"}
    assert info.spelling("name") == "name"


def test_writing_types_leaves_the_shared_trees_as_they_were() -> None:
    with record_scope():
        _, creates = read_schema_creates(DDL, Engine.SQLITE)
        before = [create.sql() for create in creates]
        read_schema(DDL)
        assert [create.sql() for create in creates] == before
        # the same trees: the facts and the types share one reading within the record
        assert read_schema_creates(DDL, Engine.SQLITE)[1] is creates
