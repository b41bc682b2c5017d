"""Plausible values for seed columns without example values (issue 17, session 8): yes/no flags,
ranges from the name and the seeds' literals, markup (tags, XML), numbers kept as text.

Each case is a column of Spider dev (`tables.json`) or BIRD mini-dev (schema files) that a
strict read of seeded records found implausible: `abandoned_yn` 'necessary', `IsOfficial`
'Fire Most', `course_arrange.Grade` 961.31, `FlightNo > 400` called large, `Match.goal` 'him',
`posts.Tags` 'school', `cars_data.Horsepower` 'interest'.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

from proto.sample import Scalar
from shared.datasets.loader import load_dataset
from shared.generation.template.instance.rows import generate_rows
from shared.generation.template.instance.rowstore import column_role
from shared.generation.template.schema.schema_model import ColumnType, Domain, FakeKind, ValueKind
from shared.generation.template.seed.from_ddl import domain_from_ddl

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@cache
def _seed_domains(seeds: str) -> dict[str, Domain]:
    ddl: dict[str, str] = {}
    sql: dict[str, list[str]] = defaultdict(list)
    for record in load_dataset(DATA / seeds):
        db = record.db_id or "seed"
        ddl.setdefault(db, record.schema_ddl or "")
        sql[db].append(record.sql)
    return {db: domain_from_ddl(text, name=db, example_sql=sql[db]) for db, text in ddl.items()}


def _spider(db: str) -> Domain:
    return _seed_domains("spider/dev.json")[db]


def _bird(db: str) -> Domain:
    return _seed_domains("bird_minidev/mini_dev_sqlite.json")[db]


def _cells(domain: Domain, table: str, column: str) -> list[Scalar]:
    """Every value the fixture's rows hold in table.column, over three schema variants."""
    out: list[Scalar] = []
    for variant in (0, 1, 2):
        for rows in generate_rows(domain, variant):
            if rows.table == table:
                at = rows.columns.index(column)
                out += [row[at] for row in rows.values if row[at] is not None]
    assert out, (table, column)
    return out


def test_yes_no_text_columns_hold_yes_no_values() -> None:
    assert set(_cells(_spider("dog_kennels"), "Dogs", "abandoned_yn")) == {"Y", "N"}
    world = _spider("world_1")
    # The seeds' SQL says 'T' (and 't'): completed with its partner, never Faker names.
    assert set(_cells(world, "countrylanguage", "IsOfficial")) == {"T", "F"}
    assert world.table("countrylanguage").label_column != "IsOfficial"


def test_numeric_ranges_follow_the_name_and_whole_numbers_stay_whole() -> None:
    grade = _spider("course_teach").table("course_arrange").column("Grade")
    assert grade.type is ColumnType.INTEGER and grade.sql_type == "NUMERIC"
    grades = _cells(_spider("course_teach"), "course_arrange", "Grade")
    assert all(isinstance(v, int) and 1 <= v <= 12 for v in grades)
    flights = _spider("flight_2").table("flights")
    flight_no = flights.column("FlightNo")
    # A flight number identifies a flight: never a measure a filter calls "large".
    assert flight_no.kind is ValueKind.ID and flight_no.type is ColumnType.INTEGER
    assert column_role(flights, flight_no) == "other"
    rank = _spider("tvshow").table("TV_series").column("Weekly_Rank")
    assert rank.kind is ValueKind.ORDINAL and rank.high is not None and rank.high <= 20
    ages = _cells(_spider("concert_singer"), "singer", "Age")
    assert all(isinstance(v, int) for v in ages)
    # People killed in a battle are counted, not measured (192.52 read in a Spider run).
    killed = _cells(_spider("battle_death"), "death", "killed")
    assert all(isinstance(v, int) for v in killed), killed


def test_a_lone_literal_is_a_threshold_the_values_reach_past() -> None:
    ddl = "CREATE TABLE exam (id INTEGER PRIMARY KEY, student TEXT, score REAL);"
    seeds = ["SELECT * FROM exam WHERE score >= 800"]
    domain = domain_from_ddl(ddl, name="exam", example_sql=seeds)
    score = domain.table("exam").column("score")
    assert score.high is not None and score.high > 800
    two = (
        domain_from_ddl(
            ddl, name="exam2", example_sql=["SELECT * FROM exam WHERE score BETWEEN 20 AND 60"]
        )
        .table("exam")
        .column("score")
    )
    # Both thresholds lie inside the values, not at their ends.
    assert two.low is not None and two.high is not None and two.low < 20 and two.high > 60


def test_xml_and_tag_columns_get_values_of_their_form() -> None:
    football = _bird("european_football_2")
    for name in ("goal", "corner", "card"):
        column = football.table("Match").column(name)
        assert column.fake is FakeKind.XML and column.pattern == name
        for value in _cells(football, "Match", name):
            assert re.fullmatch(rf"<{name} />|<{name}>.*</{name}>", str(value)), value
    tags = _cells(_bird("codebase_community"), "posts", "Tags")
    assert all(re.fullmatch(r"(<[\w.+#-]+>)+", str(v)) for v in tags), tags
    assert "<regression>" in tags  # BIRD's own tag, no longer taken for a scrub placeholder


def test_text_columns_named_for_numbers_hold_digits() -> None:
    horsepower = _cells(_spider("car_1"), "cars_data", "Horsepower")
    assert all(re.fullmatch(r"\d{2,3}", str(v)) and 60 <= int(str(v)) <= 300 for v in horsepower)
    ratings = _cells(_spider("tvshow"), "TV_series", "Rating")
    assert all(re.fullmatch(r"\d\.\d", str(v)) for v in ratings), ratings
    ranks = _cells(_spider("orchestra"), "performance", "Weekly_rank")
    assert all(str(v).isdigit() and 1 <= int(str(v)) <= 20 for v in ranks), ranks


def test_a_commander_column_holds_person_names() -> None:
    battle = _spider("battle_death").table("battle")
    assert battle.column("latin_commander").kind is ValueKind.PERSON_NAME


def test_spider_columns_a_strict_read_found_implausible_get_their_kind() -> None:
    """From the read of a Spider-seeded run: `HeadOfState` 'Wisconsin', `CountryAbbrev`
    'Namibia', `If_first_show` 'Tonight Many', `Attendance` 708.13, `Record_Company` 'ball',
    `Highschooler.name` 'Put Add', a singer from 'British Indian Ocean Territory (...)'."""
    world = _spider("world_1").table("country")
    assert world.column("HeadOfState").kind is ValueKind.PERSON_NAME
    abbrevs = _cells(_spider("flight_2"), "airports", "CountryAbbrev")
    assert all(re.fullmatch(r"[A-Z]{2}", str(v)) for v in abbrevs), abbrevs
    orchestra = _spider("orchestra")
    assert set(_cells(orchestra, "show", "If_first_show")) == {"T", "F"}
    attendance = _cells(orchestra, "show", "Attendance")
    assert all(isinstance(v, int) and 100 <= v <= 60_000 for v in attendance), attendance
    assert orchestra.table("orchestra").column("Record_Company").fake is FakeKind.COMPANY
    pupil = _spider("network_1").table("Highschooler").column("name")
    assert pupil.kind is ValueKind.PERSON_NAME
    countries = _cells(_spider("flight_2"), "airports", "Country")
    assert not [c for c in countries if "(" in str(c) or "Territor" in str(c)]


def test_written_by_shop_names_and_viewers_in_millions() -> None:
    tvshow = _spider("tvshow")
    assert tvshow.table("Cartoon").column("Written_by").kind is ValueKind.PERSON_NAME
    viewers = _cells(tvshow, "TV_series", "Viewers_m")
    assert all(re.fullmatch(r"\d{1,2}\.\d", str(v)) for v in viewers), viewers
    shop = _spider("employee_hire_evaluation").table("shop").column("Name")
    assert shop.kind is ValueKind.COMPANY_NAME
