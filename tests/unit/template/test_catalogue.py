"""The domain catalogue: every YAML domain loads, validates and has a realistic shape."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot

from shared.generation.template.schema.catalogue import (
    domain_names,
    get_domain,
    load_catalogue,
    parse_domain,
    validate_domain,
)
from shared.generation.template.schema.ddl import RESERVED_WORDS, ddl_statements, fk_order
from shared.generation.template.schema.schema_model import ColumnType, ValueKind

# The names the default spec uses; the catalogue may hold more.
SPEC_DOMAINS = (
    "retail",
    "healthcare",
    "logistics",
    "banking",
    "education",
    "hospitality",
    "airline",
    "real_estate",
    "manufacturing",
    "telecom",
    "insurance",
    "energy",
    "agriculture",
    "media_streaming",
    "gaming",
    "sports_league",
    "library",
    "human_resources",
    "ecommerce_marketplace",
    "restaurant",
    "car_rental",
    "cybersecurity",
    "public_transit",
    "museum",
    "nonprofit_fundraising",
    "clinical_trials",
    "construction",
    "legal_cases",
    "software_projects",
    "event_ticketing",
    "fitness_club",
    "pharmacy",
    "veterinary",
    "space_missions",
    "wine_distribution",
    "social_network",
)


def test_catalogue_holds_every_spec_domain() -> None:
    names = domain_names()
    assert len(names) >= 30
    assert sorted(set(SPEC_DOMAINS) - set(names)) == []


@pytest.mark.parametrize("name", domain_names())
def test_domain_validates_cleanly(name: str) -> None:
    assert validate_domain(get_domain(name)) == []


@pytest.mark.parametrize("name", domain_names())
def test_domain_has_operational_shape(name: str) -> None:
    domain = get_domain(name)
    assert 3 <= len(domain.tables) <= 8
    assert domain.description
    kinds = {c.kind for t in domain.tables for c in t.columns}
    # Not a toy schema: money or quantities, dates and categories to filter and group on.
    assert kinds & {ValueKind.MONEY, ValueKind.QUANTITY, ValueKind.MEASURE}
    assert ValueKind.DATE in kinds
    assert ValueKind.CATEGORY in kinds
    for table in domain.tables:
        assert 4 <= len(table.columns) <= 9, table.name
        assert table.column(table.primary_key).type is ColumnType.INTEGER
        assert table.label_column is not None or len(table.foreign_keys) >= 2, table.name
        assert all(c.type in set(ColumnType) for c in table.columns)


def test_relationships_cover_one_to_many_and_many_to_many() -> None:
    domains = load_catalogue().values()
    with_fks = [d for d in domains if any(t.foreign_keys for t in d.tables)]
    with_junction = [d for d in domains if any(t.unique_together for t in d.tables)]
    with_nullable = [d for d in domains if any(c.nullable for t in d.tables for c in t.columns)]
    assert len(with_fks) >= 0.9 * len(domains)
    assert len(with_junction) >= 0.8 * len(domains)
    assert len(with_nullable) == len(domains)


@pytest.mark.parametrize("name", domain_names())
def test_fk_order_puts_parents_first(name: str) -> None:
    domain = get_domain(name)
    order = [t.name for t in fk_order(domain)]
    assert sorted(order) == sorted(t.name for t in domain.tables)
    for table in domain.tables:
        for fk in table.foreign_keys:
            assert order.index(fk.ref_table) <= order.index(table.name)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_identifiers_need_no_quoting_in_any_dialect(dialect: str) -> None:
    # sqlglot quotes exactly the identifiers a dialect reserves; none of ours may be quoted.
    for domain in load_catalogue().values():
        for stmt in ddl_statements(domain):
            sqlglot.parse_one(stmt, read=dialect)
        for table in domain.tables:
            cols = ", ".join(c.name for c in table.columns)
            sql = sqlglot.transpile(f"SELECT {cols} FROM {table.name}", write=dialect)[0]
            assert '"' not in sql and "`" not in sql, sql
            for ident in [table.name, *(c.name for c in table.columns)]:
                assert ident.upper() not in RESERVED_WORDS, f"{domain.name}.{ident}"


def _doc(**tables: Any) -> dict[str, Any]:
    return {"name": "broken", "description": "test", "tables": tables}


def _people() -> dict[str, Any]:
    return {
        "noun": "person",
        "label": "full_name",
        "columns": {"id": "id", "full_name": "person_name"},
    }


def _things(ref: str = "people") -> dict[str, Any]:
    return {
        "noun": "thing",
        "label": "code",
        "columns": {
            "id": "id",
            "code": {"kind": "code", "pattern": "T-##"},
            "owner_id": {"ref": ref},
        },
    }


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        ({"people": _people(), "things": _things("ghosts"), "x": _people()}, "no such table"),
        ({"people": _people(), "things": _things()}, "3 to 8"),
        (
            {"people": {**_people(), "label": "nickname"}, "things": _things(), "x": _people()},
            "label column 'nickname'",
        ),
        (
            {"people": {**_people(), "primary_key": "pk"}, "things": _things(), "x": _people()},
            "primary key 'pk'",
        ),
        ({"people": _people(), "order": _things(), "x": _people()}, "reserved word"),
        (
            {
                "people": {
                    **_people(),
                    "columns": {
                        "id": "id",
                        "full_name": "person_name",
                        "boss_id": {"ref": "people"},
                    },
                },
                "things": _things(),
                "x": _people(),
            },
            "self reference must be nullable",
        ),
        (
            {
                "people": {
                    **_people(),
                    "columns": {
                        "id": "id",
                        "full_name": "person_name",
                        "thing_id": {"ref": "things", "nullable": True},
                    },
                },
                "things": _things(),
                "x": _people(),
            },
            "cycle",
        ),
        (
            {
                "people": {
                    **_people(),
                    "columns": {"id": "id", "full_name": "person_name", "tier": "category"},
                },
                "things": _things(),
                "x": _people(),
            },
            "needs `values`",
        ),
    ],
)
def test_validation_reports_each_problem(tables: dict[str, Any], expected: str) -> None:
    problems = validate_domain(parse_domain(_doc(**tables)))
    assert any(expected in p for p in problems), problems


def test_sound_minimal_domain_has_no_problems() -> None:
    domain = parse_domain(_doc(people=_people(), things=_things(), pets=_things()))
    assert validate_domain(domain) == []
