"""BIRD-seeded fixtures hold no made-up labels: a text column without example values gets Faker's
values of the kind its name says, and every text cell traces to the source its column records."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from faker.providers.address.en_US import Provider as Address
from faker.providers.color import Provider as Color
from faker.providers.lorem.en_US import Provider as Lorem
from faker.providers.person.en_US import Provider as Person

from proto.sample import ValueSource
from shared.generation.template.schema.people import to_ascii
from shared.generation.template.schema.schema_model import Column, Domain, FakeKind, ValueKind
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_schema import build_seed_schema
from shared.generation.template.seed.seed_values import instance_value_sources

BIRD = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "bird_minidev"
SCHEMAS = sorted(p.stem for p in (BIRD / "schemas").glob("*.sql"))
# Where a value the column lists (not Faker's) may come from.
REAL = {
    ValueSource.DATABASE,
    ValueSource.SEED_ROWS,
    ValueSource.SEED_LITERALS,
    ValueSource.SCHEMA_COMMENT,
    ValueSource.WORD_LIST,  # the column's own word names a closed set ('status': Active, ...)
}
# The labels the converter used to invent: 'Type B', 'Card Aurora', 'Team Kestrel'.
MADE_UP = re.compile(
    r"(?i)^\S+(?: \S+)? (?:[a-e]|aurora|beacon|cedar|delta|ember|falcon|granite|harbor|iris|"
    r"juniper|kestrel|lumen|maple|nova|orion|pioneer|quartz|raven|sierra|summit|tundra|vertex|"
    r"willow|zephyr)$"
)


def _plain(values: object) -> set[str]:
    return {to_ascii(str(v)).replace("'", "") for v in values}  # type: ignore[attr-defined]


FAKER_LISTS: dict[FakeKind, set[str]] = {
    FakeKind.FIRST_NAME: _plain(Person.first_names),
    FakeKind.LAST_NAME: _plain(Person.last_names),
    FakeKind.COUNTRY: {v[:60].strip() for v in _plain(Address.countries)},
    FakeKind.STATE: _plain(Address.states),
    FakeKind.STATE_ABBR: _plain(Address.states_abbr),
    FakeKind.COLOR: _plain(Color.safe_colors),
    FakeKind.WORD: _plain(Lorem.word_list),
}


@cache
def _bird_domain(db: str) -> Domain:
    seeds = json.loads((BIRD / "mini_dev_sqlite.json").read_text())
    sql: dict[str, list[str]] = defaultdict(list)
    for seed in seeds:
        sql[seed["db_id"]].append(seed["SQL"])
    ddl = (BIRD / "schemas" / f"{db}.sql").read_text()
    return domain_from_ddl(ddl, name=f"seed-test-{db}", example_sql=sql[db])


def _is_fakers(column: Column, value: str) -> bool:
    """Whether `value` is one Faker's provider for the column's kind can give."""
    kind = column.fake
    assert kind is not None
    if kind in FAKER_LISTS:
        return value in FAKER_LISTS[kind]
    if kind is FakeKind.PLACE_NAME:
        return value.endswith(f" {column.pattern}") and len(value) > len(column.pattern or "") + 1
    if kind is FakeKind.SHAPE:
        pattern = re.escape(column.pattern or "").replace(r"\#", "#").replace("#", r"\d")
        return re.fullmatch(pattern, value) is not None
    if kind is FakeKind.COUNTRY_CODE:
        return re.fullmatch(rf"[A-Z]{{{column.pattern}}}", value) is not None
    if kind is FakeKind.NAME:
        return all(
            w.lower() in {x.lower() for x in FAKER_LISTS[FakeKind.WORD]} for w in value.split()
        )
    return bool(value.strip()) and value.isascii()


@pytest.mark.parametrize("db", SCHEMAS)
def test_every_text_cell_of_a_bird_fixture_traces_to_its_recorded_source(db: str) -> None:
    domain = _bird_domain(db)
    checked = faked = 0
    for variant in (0, 3):
        instance = build_seed_schema(domain, variant)
        sources = instance_value_sources(instance)
        for rows in instance.rows:
            table = domain.table(rows.table)
            for at, name in enumerate(rows.columns):
                column, recorded = table.column(name), set(sources[f"{rows.table}.{name}"])
                for value in (row[at] for row in rows.values):
                    if not isinstance(value, str) or column.kind is ValueKind.DATE:
                        continue
                    checked += 1
                    where = (rows.table, name, value, recorded)
                    if value in column.values:
                        assert recorded & REAL, where
                        continue
                    assert not MADE_UP.match(value), where
                    if column.fake is not None:
                        faked += 1
                        assert ValueSource.FAKER in recorded and _is_fakers(column, value), where
                    elif column.kind is ValueKind.CODE:
                        assert recorded == {ValueSource.PATTERN}, where
                    else:
                        assert column.kind in (
                            ValueKind.PERSON_NAME,
                            ValueKind.COMPANY_NAME,
                            ValueKind.EMAIL,
                        ), where
                        assert recorded == {ValueSource.FAKER}, where
    assert checked > 0
    if db in ("california_schools", "card_games", "formula_1", "student_club"):
        assert faked > 0  # these schemas have text columns no example covers


@pytest.mark.parametrize(
    ("db", "table", "column", "kind", "extra"),
    [
        ("california_schools", "schools", "AdmFName1", FakeKind.FIRST_NAME, None),
        ("california_schools", "schools", "AdmLName2", FakeKind.LAST_NAME, None),
        ("california_schools", "frpm", "County Name", FakeKind.PLACE_NAME, "County"),
        ("california_schools", "schools", "Street", FakeKind.STREET, None),
        ("california_schools", "schools", "GSoffered", FakeKind.SHAPE, "K-#"),
        ("student_club", "zip_code", "short_state", FakeKind.STATE_ABBR, None),
        ("card_games", "cards", "flavorText", FakeKind.TEXT, None),
        ("card_games", "cards", "colorIdentity", FakeKind.COLOR, None),
        ("debit_card_specializing", "gasstations", "Country", FakeKind.COUNTRY_CODE, "3"),
        ("formula_1", "qualifying", "q1", FakeKind.SHAPE, "1:##.###"),
        ("formula_1", "lapTimes", "time", FakeKind.SHAPE, "1:##.###"),
        ("card_games", "cards", "uuid", FakeKind.UUID, "########-####-####-####-############"),
        ("formula_1", "constructors", "name", FakeKind.COMPANY, None),
        ("codebase_community", "comments", "UserDisplayName", FakeKind.USER_NAME, None),
    ],
)
def test_a_text_column_without_examples_gets_the_faker_kind_its_name_says(
    db: str, table: str, column: str, kind: FakeKind, extra: str | None
) -> None:
    found = _bird_domain(db).table(table).column(column)
    assert (found.fake, found.pattern) == (kind, extra)


def test_real_examples_come_first_and_faker_only_completes_them() -> None:
    domain = _bird_domain("debit_card_specializing")
    segment = domain.table("customers").column("Segment")
    assert segment.fake is None and set(segment.values) == {"SME", "LAM", "KAM"}
    schools = _bird_domain("california_schools").table("schools")
    assert schools.column("AdmEmail1").kind is ValueKind.EMAIL  # 'AdmEmail1' reads as e-mail
    assert schools.column("AdmLName1").values[:1] == ("Ulrich",)  # the seeds' literal first


def test_faker_values_are_deterministic_per_schema_variant() -> None:
    from shared.generation.template.instance.rows import generate_rows

    domain = _bird_domain("card_games")
    assert generate_rows(domain, 2) == generate_rows(domain, 2)
    assert generate_rows(domain, 2) != generate_rows(domain, 5)


def test_times_drawn_in_a_shape_are_times_that_exist() -> None:
    import random

    from shared.generation.template.instance.seed_fakes import draw_fake

    rng = random.Random(7)
    for _ in range(200):
        lap = draw_fake(FakeKind.SHAPE, "1:##.###", rng)
        clock = draw_fake(FakeKind.SHAPE, "1#:##:##", rng)
        assert re.fullmatch(r"1:[0-5]\d\.\d{3}", lap), lap
        assert re.fullmatch(r"1\d:[0-5]\d:[0-5]\d", clock), clock


def test_a_label_with_a_few_real_values_is_not_padded_with_faker_words() -> None:
    account = _bird_domain("financial").table("account")
    # Three real frequencies cannot name every account: the key does, the values stay real.
    assert account.label_column == "account_id"
    frequency = account.column("frequency")
    assert frequency.fake is None and "POPLATEK MESICNE" in frequency.values
