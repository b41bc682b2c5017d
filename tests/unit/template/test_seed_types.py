"""Seeded fixtures keep the seed's declared types (issue 17: "keep the original column types"):
TIMESTAMP/DATETIME with a time part, text dates as text in the seed's own format, Spider's bare
`number` (NUMERIC) on plain columns and integer keys, on Spider dev and BIRD mini-dev."""

from __future__ import annotations

import re
from pathlib import Path

from bench.seeded_values.types_kept import measure
from proto.common import Engine
from shared.engines.render import _render_ddl
from shared.generation.template.instance.rows import generate_rows
from shared.generation.template.schema.schema_model import Column, ColumnType
from shared.generation.template.seed.from_ddl import domain_from_ddl

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"

EVENTS = """
CREATE TABLE venue (venue_id NUMERIC PRIMARY KEY, name TEXT, capacity NUMERIC, rent NUMERIC);
CREATE TABLE event (
  event_id NUMERIC PRIMARY KEY,
  venue_id NUMERIC REFERENCES venue (venue_id),
  title TEXT,
  starts_at DATETIME,
  logged TIMESTAMP,
  event_date TEXT,
  opened TEXT,
  closing_day VARCHAR(12)
);
INSERT INTO venue VALUES (1, 'Hall', 300, 12.5), (2, 'Barn', 80, 40.25);
INSERT INTO event VALUES
  (1, 1, 'Gala', '2020-03-10 18:00:00', '2020-03-01 09:12:44', '2019-10-10T12:00:00',
   '2008-08-17 00:00:00', '2021-01-02'),
  (2, 2, 'Fair', '2021-05-01 10:30:00', '2021-04-01 11:00:05', '2020-01-23T08:30:00',
   '2009-02-01 00:00:00', '2021-03-04');
"""


def _columns(ddl: str) -> dict[str, Column]:
    domain = domain_from_ddl(ddl, name="seed-types")
    return {f"{t.name}.{c.name}": c for t in domain.tables for c in t.columns}


def test_timestamps_text_dates_and_numeric_keep_their_declared_types() -> None:
    columns = _columns(EVENTS)
    declared = {name: col.ddl_type for name, col in columns.items()}
    assert declared["event.starts_at"] == "DATETIME"
    assert declared["event.logged"] == "TIMESTAMP"
    assert declared["event.event_date"] == "TEXT"
    assert declared["event.opened"] == "TEXT"
    assert declared["event.closing_day"] == "VARCHAR(12)"
    assert declared["venue.capacity"] == "NUMERIC" and declared["venue.rent"] == "NUMERIC"
    # Spider's numeric keys and the links to them stay NUMERIC together.
    assert declared["venue.venue_id"] == declared["event.venue_id"] == "NUMERIC"
    assert declared["event.event_id"] == "NUMERIC"
    # The query builder still reasons with dates.
    assert columns["event.opened"].type is ColumnType.DATE


def test_date_values_are_written_in_the_seed_s_format() -> None:
    domain = domain_from_ddl(EVENTS, name="seed-types")
    rows = {r.table: r for r in generate_rows(domain, variant=3)}
    event = rows["event"]

    def values(name: str) -> list[str]:
        at = event.columns.index(name)
        return [str(row[at]) for row in event.values if row[at] is not None]

    timestamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    assert values("starts_at") and all(timestamp.match(v) for v in values("starts_at"))
    assert all(timestamp.match(v) for v in values("logged"))
    # Not all at midnight: a timestamp has a time of day.
    assert len({v[11:] for v in values("logged")}) > 1
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", v) for v in values("event_date"))
    # Every example of `opened` is at midnight: so are the generated ones.
    assert all(re.match(r"^\d{4}-\d{2}-\d{2} 00:00:00$", v) for v in values("opened"))
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", v) for v in values("closing_day"))


def test_bare_numeric_is_decimal_38_10_on_mysql_and_numeric_elsewhere() -> None:
    ddl = "CREATE TABLE t (a NUMERIC, b DECIMAL(5,2), c DATETIME);"
    (mysql_statement,), _, _ = _render_ddl(ddl, Engine.SQLITE, Engine.MYSQL)
    (postgres_statement,), _, _ = _render_ddl(ddl, Engine.SQLITE, Engine.POSTGRES)
    assert mysql_statement.sql == "CREATE TABLE t (a DECIMAL(38, 10), b DECIMAL(5, 2), c DATETIME)"
    assert postgres_statement.sql == "CREATE TABLE t (a DECIMAL, b DECIMAL(5, 2), c TIMESTAMP)"


def test_spider_dev_and_bird_minidev_keep_every_plain_column_type() -> None:
    spider = measure(DATA / "spider" / "dev.json")
    bird = measure(DATA / "bird_minidev" / "mini_dev_sqlite.json")
    assert str(spider["plain_columns_kept"]).startswith("316/316")
    assert str(bird["plain_columns_kept"]).startswith("599/599")
    assert str(bird["key_columns_kept"]).startswith("106/106")
    # Spider's text keys (breed_code, AirportCode, country.Code) and numeric keys too.
    assert str(spider["key_columns_kept"]).startswith("122/122")
    assert spider["differences"] == []


def test_text_keys_keep_their_type_and_get_codes() -> None:
    ddl = (
        "CREATE TABLE breeds (breed_code VARCHAR(10) PRIMARY KEY, breed_name TEXT);"
        "CREATE TABLE dogs (dog_id INTEGER PRIMARY KEY, name TEXT,"
        " breed_code VARCHAR(10) REFERENCES breeds (breed_code));"
    )
    domain = domain_from_ddl(ddl, name="seed-text-keys")
    assert domain.table("breeds").column("breed_code").ddl_type == "VARCHAR(10)"
    assert domain.table("dogs").column("breed_code").ddl_type == "VARCHAR(10)"
    rows = {r.table: r for r in generate_rows(domain, variant=1)}
    codes = [row[0] for row in rows["breeds"].values]
    assert codes and all(isinstance(c, str) and c.startswith("BRE") for c in codes)
    links = {row[rows["dogs"].columns.index("breed_code")] for row in rows["dogs"].values}
    assert links - {None} and links - {None} <= set(codes)


def test_a_plural_link_column_is_shaped_like_a_link() -> None:
    """BIRD's cards.purchaseUrls got 'URL-9132' (seen reading 30 records of session 7)."""
    ddl = "CREATE TABLE cards (id INTEGER PRIMARY KEY, name TEXT, purchaseUrls TEXT);"
    column = domain_from_ddl(ddl, name="seed-urls").table("cards").column("purchaseUrls")
    assert (column.pattern or "").startswith("https://www.example.org/")


def test_coordinates_without_examples_lie_on_the_globe() -> None:
    """california_schools' Longitude was drawn 1-1000 ('Longitude < 600', session 7 read)."""
    ddl = "CREATE TABLE schools (id INTEGER PRIMARY KEY, name TEXT, Latitude REAL, Longitude REAL);"
    table = domain_from_ddl(ddl, name="seed-coordinates").table("schools")
    assert (table.column("Latitude").low, table.column("Latitude").high) == (-90.0, 90.0)
    assert (table.column("Longitude").low, table.column("Longitude").high) == (-180.0, 180.0)
    assert table.column("Longitude").ddl_type == "REAL"
