"""Sampled values: the privacy scrub they pass, and where each fixture column's values come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from proto.common import SeedMode
from proto.sample import Blueprint, ValueSource
from shared.export.privacy import is_synthetic
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_schema import build_seed_schema
from shared.generation.template.seed.seed_values import instance_value_sources
from shared.ingest.scrub_values import classify_sample, iban_valid
from shared.pipeline.records import dataset_record

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"

PERSONAL_ROWS = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT, contact TEXT, segment TEXT,
  account TEXT, api_key TEXT, note TEXT);
INSERT INTO customers VALUES
 (1, 'Ada Byron', 'ada@corp.io', 'SME', 'DE89 3704 0044 0532 0130 00',
  'sk_live_4eC39HqLyjWDarjtT1', 'call Maria Schmidt'),
 (2, 'Joe Sharp', 'joe.sharp@mail.com', 'LAM', 'GB82WEST12345698765432',
  'sk_live_9aZ12HqLyjWDarjtQ7', 'vip'),
 (3, 'Maria Schmidt', 'm.s@firma.de', 'KAM', 'FR1420041010050500013M02606',
  'ghp_abcdefghijklmnopqrstuvwx12', 'vip');
"""
REAL_PERSONAL = {
    "Ada Byron", "Joe Sharp", "Maria Schmidt", "ada@corp.io", "joe.sharp@mail.com",
    "m.s@firma.de", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
    "FR1420041010050500013M02606", "sk_live_4eC39HqLyjWDarjtT1", "sk_live_9aZ12HqLyjWDarjtQ7",
    "ghp_abcdefghijklmnopqrstuvwx12", "call Maria Schmidt",
}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ada@corp.io", "<email>"),
        ("+44 20 7946 0958", "<phone>"),
        ("4111 1111 1111 1111", "<card>"),
        ("DE89 3704 0044 0532 0130 00", "<iban>"),
        ("sk_live_4eC39HqLyjWDarjtT1", "<token>"),
        ("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "<token>"),
        ("ask Lewis Hamilton first", "<name>"),
        ("<email>", "<email>"),
        ("SME", None),
        ("CZE", None),
        ("Rose Garden", None),
        ("Monaco Grand Prix", None),
        ("DE00 1234 5678 9012 3456 78", None),  # IBAN-shaped, fails the mod-97 check
    ],
)
def test_sampled_values_are_classified_by_the_ingest_scrubber(value: str, kind: str | None) -> None:
    assert classify_sample(value) == kind


def test_iban_check_digits() -> None:
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("GB00WEST12345698765432")


def test_personal_seed_rows_are_replaced_by_generated_values_of_their_kind() -> None:
    domain = domain_from_ddl(PERSONAL_ROWS, name="seed-personal")
    assert domain.seed is not None
    scrubbed = dict(domain.seed.scrubbed)
    assert scrubbed == {"email": 3, "iban": 3, "name": 3, "token": 3}
    columns = {c.name: c for c in domain.tables[0].columns}
    assert columns["contact"].kind.value == "email"
    assert columns["account"].pattern == "XX00 TEST #### ####"
    assert columns["api_key"].pattern == "tok_test_????????"
    # 'vip' survives in note: one personal value among three does not turn the column over.
    assert "vip" in columns["note"].values
    instance = build_seed_schema(domain, 0)
    cells = {v for rows in instance.rows for row in rows.values for v in row}
    assert not cells & REAL_PERSONAL
    for cell in cells:
        if isinstance(cell, str):
            kind = classify_sample(cell)
            # Faker's names are made up; its e-mails live on the reserved example domains.
            assert kind in (None, "<name>") or is_synthetic("<email>", cell), cell
    sources = instance_value_sources(instance)
    assert sources["customers.contact"] == [ValueSource.FAKER]
    assert sources["customers.full_name"] == [ValueSource.FAKER]
    assert sources["customers.account"] == [ValueSource.PATTERN]
    assert sources["customers.segment"] == [ValueSource.SEED_ROWS]
    assert sources["customers.id"] == [ValueSource.KEY]


def test_every_text_value_of_a_bird_fixture_traces_to_its_recorded_source() -> None:
    ddl = (DATA / "bird_minidev" / "schemas" / "debit_card_specializing.sql").read_text()
    example = "SELECT COUNT(*) FROM customers WHERE Segment = 'SME' AND Currency = 'EUR'"
    domain = domain_from_ddl(ddl, name="seed-bird-debit", example_sql=[example])
    instance = build_seed_schema(domain, 0)
    sources = instance_value_sources(instance)
    assert sources["customers.Segment"] == [ValueSource.SEED_LITERALS, ValueSource.SCHEMA_COMMENT]
    for rows in instance.rows:
        table = domain.table(rows.table)
        for index, name in enumerate(rows.columns):
            column = table.column(name)
            kinds = sources[f"{rows.table}.{name}"]
            listed = {ValueSource.SEED_LITERALS, ValueSource.SCHEMA_COMMENT, ValueSource.WORD_LIST}
            for row in rows.values:
                value = row[index]
                if not isinstance(value, str):
                    continue
                if column.fake is not None and value not in column.values:
                    assert ValueSource.FAKER in kinds, (rows.table, name, value)
                elif set(kinds) & listed:
                    assert value in column.values, (rows.table, name, value)
                else:
                    # dates are strings too: drawn in a range
                    assert kinds[0] in (ValueSource.FAKER, ValueSource.PATTERN, ValueSource.RANGE)


def test_a_template_record_carries_its_value_sources() -> None:
    ddl = (DATA / "bird_minidev" / "schemas" / "debit_card_specializing.sql").read_text()
    blueprint = Blueprint(domain="seed_debit", seed_schema=ddl, seed_mode=SeedMode.EXPAND)
    draft = TemplateEngine().generate(blueprint, seed=3)
    assert draft.value_sources
    shown = {f"{r.table}.{c}" for r in draft.rows for c in r.columns}
    assert set(draft.value_sources) == shown
    assert ValueSource.SCHEMA_COMMENT in {s for v in draft.value_sources.values() for s in v}
    catalogue = TemplateEngine().generate(Blueprint(domain="retail"), seed=3)
    assert {s for v in catalogue.value_sources.values() for s in v} >= {
        ValueSource.KEY,
        ValueSource.CATALOGUE,
    }
    assert catalogue.scrubbed_values == {}


def test_the_dataset_record_holds_value_sources_and_scrub_counts() -> None:
    from proto.sample import SampleEnvelope

    ddl = PERSONAL_ROWS
    blueprint = Blueprint(domain="seed_personal", seed_schema=ddl, seed_mode=SeedMode.EXPAND)
    draft = TemplateEngine().generate(blueprint, seed=1)
    envelope = SampleEnvelope(run_id="r", sample_id="s", blueprint=blueprint, draft=draft)
    record = dataset_record(envelope)
    assert record["scrubbed_values"] == {"email": 3, "iban": 3, "name": 3, "token": 3}
    assert record["value_sources"]["customers.contact"] == ["faker"]


def test_declared_types_are_kept_where_every_engine_holds_the_values_alike() -> None:
    ddl = (DATA / "bird_minidev" / "schemas" / "debit_card_specializing.sql").read_text()
    statements = build_seed_schema(domain_from_ddl(ddl, name="seed-bird-types"), 0).ddl
    transactions = next(s for s in statements.splitlines() if "transactions_1k" in s[:40])
    assert '"Date" DATE' in transactions and "Amount INT" in transactions
    assert "Segment TEXT" in statements  # BIRD declares TEXT, not the portable VARCHAR(120)
    # REAL is kept: every engine holds it as an IEEE double (sqlglot renders it per engine).
    assert "Price REAL" in transactions
    narrow = (
        "CREATE TABLE t (id INTEGER PRIMARY KEY, code VARCHAR(4), title VARCHAR(200), "
        "amount DECIMAL(8,2), score NUMERIC);"
        "INSERT INTO t VALUES (1, 'ABCDEFGH', 'x', 1.5, 2), (2, 'IJKLMNOP', 'y', 3.5, 3);"
    )
    columns = {c.name: c for c in domain_from_ddl(narrow, name="seed-narrow").tables[0].columns}
    assert columns["code"].ddl_type == "VARCHAR(120)"  # its values do not fit VARCHAR(4)
    assert columns["title"].ddl_type == "VARCHAR(200)"
    assert columns["amount"].ddl_type == "DECIMAL(8, 2)"
    # A bare NUMERIC is kept (MySQL gets DECIMAL(38,10) from the engine layer).
    assert columns["score"].ddl_type == "NUMERIC"
