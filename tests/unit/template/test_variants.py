"""Schemas that vary (issue 17): variants of catalogue domains shaped by the spec's schema
properties, rows coherent within their place, and seed fixtures from BIRD's schema comments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.schema_instance import build_schema
from shared.generation.template.schema.catalogue import get_domain
from shared.generation.template.schema.variants import (
    SchemaShape,
    format_schema_id,
    parse_schema_id,
    schema_signature,
)
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_schema import build_seed_schema
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec

BIRD_SCHEMAS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "bird_minidev"


def test_a_default_run_of_1000_holds_200_distinct_schemas() -> None:
    """Issue 17's measure: distinct = tables, case-folded column names and types sans length."""
    sampler = BlueprintSampler(default_spec(), seed=0)
    engine = TemplateEngine()
    signatures = set()
    domains = set()
    for index in range(1000):
        blueprint = sampler.draw_at(index)
        instance = engine._instance(blueprint, seed=index)
        signatures.add(schema_signature(instance.domain))
        domains.add(blueprint.domain)
    assert len(signatures) >= 200, len(signatures)
    assert len(signatures) > 5 * len(domains)


@pytest.mark.parametrize("columns", [3, 6, 10])
def test_columns_per_table_is_realised_where_the_table_allows(columns: int) -> None:
    instance = build_schema("retail", 5, shape=SchemaShape(columns_per_table=columns))
    full = get_domain("retail")
    for table in instance.domain.tables:
        original = full.table(table.name)
        required = {original.label_column, *original.unique_together}
        required |= {fk.column for fk in original.foreign_keys} | {"id"}
        expected = max(columns, len(required - {None}))
        assert len(table.columns) == expected, (table.name, [c.name for c in table.columns])
    for rows in instance.rows:
        assert len(rows.columns) == len(instance.domain.table(rows.table).columns)


def test_rows_per_table_and_declared_keys_follow_the_shape() -> None:
    shape = SchemaShape(
        columns_per_table=6, rows_per_table=7, primary_keys=False, foreign_keys=False
    )
    instance = build_schema("logistics", 3, shape=shape)
    assert "PRIMARY KEY" not in instance.ddl and "FOREIGN KEY" not in instance.ddl
    plain = [r for r in instance.rows if not instance.domain.table(r.table).unique_together]
    assert all(len(r.values) <= 7 for r in plain) and any(len(r.values) == 7 for r in plain)
    keyed = build_schema("logistics", 3, shape=SchemaShape(primary_keys=False, foreign_keys=True))
    # A foreign key must reference a unique column: the undeclared key becomes UNIQUE.
    assert "PRIMARY KEY" not in keyed.ddl and "FOREIGN KEY" in keyed.ddl
    assert "NOT NULL UNIQUE" in keyed.ddl


def test_types_fit_their_values_and_are_not_one_varchar() -> None:
    types = set()
    for variant in range(8):
        instance = build_schema("wine_distribution", variant)
        types |= set(
            re.findall(r"\b(SMALLINT|BIGINT|INTEGER|DECIMAL\(\d+,2\)|VARCHAR\(\d+\))", instance.ddl)
        )
        for rows in instance.rows:
            table = instance.domain.table(rows.table)
            for at, column in enumerate(table.columns):
                found = re.match(r"VARCHAR\((\d+)\)", column.ddl_type)
                if found:
                    longest = max((len(str(r[at])) for r in rows.values if r[at]), default=0)
                    assert longest <= int(found.group(1)), (table.name, column.name)
    assert len([t for t in types if t.startswith("VARCHAR")]) >= 4
    assert {"SMALLINT", "INTEGER"} <= types and "VARCHAR(120)" not in types


def test_schema_ids_round_trip() -> None:
    shape = SchemaShape(
        columns_per_table=5, rows_per_table=9, primary_keys=True, foreign_keys=False
    )
    sid = format_schema_id("airline", 7, shape)
    assert parse_schema_id(sid) == ("airline", 7, shape)
    assert parse_schema_id("airline#3") == ("airline", 3, SchemaShape())
    assert parse_schema_id("seed-abc#x") is None
    assert build_schema("airline", 7, shape=shape).schema_id == sid


def test_a_row_keeps_one_place() -> None:
    """A French winery's region is French and its country France (Faker names by locale)."""
    domain = get_domain("wine_distribution")
    owner = dict(domain.table("wineries").column("winery_name").value_countries)
    region = dict(domain.table("wineries").column("wine_region").value_countries)
    checked = 0
    for variant in range(6):
        rows = build_schema("wine_distribution", variant).table_rows("wineries")
        for row in rows.values:
            record = dict(zip(rows.columns, row, strict=True))
            if record.get("country") is None:
                continue
            assert owner[str(record["winery_name"])] == record["country"], record
            assert region[str(record["wine_region"])] == record["country"], record
            checked += 1
    assert checked >= 20


def test_bird_schema_comments_supply_the_fixture_values() -> None:
    ddl = (BIRD_SCHEMAS / "schemas" / "debit_card_specializing.sql").read_text()
    domain = domain_from_ddl(ddl, name="seed-bird-debit")
    instance = build_seed_schema(domain, 1)
    segments = {r[1] for r in instance.table_rows("customers").values}
    currencies = {r[2] for r in instance.table_rows("customers").values}
    kinds = {r[3] for r in instance.table_rows("gasstations").values}
    assert segments <= {"SME", "LAM", "KAM"} and len(segments) >= 2
    assert currencies <= {"CZK", "EUR"}
    assert kinds <= {"Other", "Premium", "Noname", "Value for money", "Discount"}


def test_bird_evidence_reaches_the_seed_and_the_plan() -> None:
    from proto.common import SeedMode
    from proto.sample import Blueprint
    from shared.ingest.seeds import ingest_files
    from shared.pipeline.seed_plan import seed_blueprint

    seeds = ingest_files([BIRD_SCHEMAS / "mini_dev_sqlite.json"]).seeds
    with_evidence = [s for s in seeds if s.evidence]
    assert len(with_evidence) >= 0.9 * len(seeds)
    seed = with_evidence[0]
    planned = seed_blueprint(Blueprint(domain="x"), seed, SeedMode.EXPAND)
    assert planned.properties["seed_evidence"] == seed.evidence


def test_apostrophes_in_bird_comments_are_not_values() -> None:
    """ "the player's date of birth in 'YYYY-MM-DD' format" quotes no value "s date of birth"."""
    for path in sorted((BIRD_SCHEMAS / "schemas").glob("*.sql")):
        domain = domain_from_ddl(path.read_text(), name=f"seed-{path.stem}")
        for table in domain.tables:
            for column in table.columns:
                for value in column.values:
                    assert value == value.strip() and not value.startswith("s "), (
                        path.stem,
                        column.name,
                        value,
                    )
                    assert "YYYY" not in value and "milliseconds" not in value, value
