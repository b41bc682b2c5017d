"""`--values-from`: fixture values sampled from the seeds' real database, scrubbed on the way.

Spider and BIRD ship no database rows in ../shared/data, so the tests build the database: a
SQLite file (Spider's layout, `<db_id>/<db_id>.sqlite`) and a PostgreSQL database on the test
stack, both created from the real `tables.json` schema of Spider's concert_singer.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from proto.sample import ValueSource
from shared.datasets.spider import render_spider_ddl
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_schema import build_seed_schema
from shared.generation.template.seed.seed_values import instance_value_sources
from shared.ingest.run_seeds import load_run_seeds
from shared.ingest.value_source import DATABASE_MARKER, attach_database_values

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SPIDER = DATA / "spider"
STADIUMS = [
    (1, "Raith Rovers", "Stark's Park", 10104, 4812, 1294, 2106),
    (2, "Ayr United", "Somerset Park", 11998, 2363, 1057, 1477),
    (3, "East Fife", "Bayview Stadium", 2000, 1980, 533, 864),
    (4, "Queen's Park", "Hampden Park", 52500, 1763, 466, 730),
    (5, "Stirling Albion", "Forthbank Stadium", 3808, 1125, 404, 642),
]
SINGERS = [
    (1, "Joe Sharp", "Netherlands", "You", "1992", 52, "F"),
    (2, "Timbaland", "United States", "Dangerous", "2008", 32, "T"),
    (3, "Justin Brown", "France", "Hey Oh", "2013", 29, "T"),
    (4, "Rose White", "France", "Sun", "2003", 41, "F"),
    (5, "John Nizinik", "France", "Gentleman", "2014", 43, "T"),
    (6, "Tribal King", "France", "Love", "2016", 25, "T"),
]
CONCERTS = [
    (1, "Auditions", "Free choice", "1", "2014"),
    (2, "Super bootcamp", "Free choice 2", "2", "2014"),
    (3, "Home Visits", "Bleeding Love", "2", "2015"),
    (4, "Week 1", "Wide Awake", "10", "2014"),
    (5, "Week 1", "Happy Tonight", "9", "2015"),
]


def concert_singer_entry() -> dict[str, object]:
    tables = json.loads((SPIDER / "tables.json").read_text(encoding="utf-8"))
    entry: dict[str, object] = next(t for t in tables if t["db_id"] == "concert_singer")
    return entry


def build_sqlite(folder: Path) -> Path:
    path = folder / "concert_singer" / "concert_singer.sqlite"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(render_spider_ddl(concert_singer_entry()))
    conn.executemany("INSERT INTO stadium VALUES (?,?,?,?,?,?,?)", STADIUMS)
    conn.executemany("INSERT INTO singer VALUES (?,?,?,?,?,?,?)", SINGERS)
    conn.executemany("INSERT INTO concert VALUES (?,?,?,?,?)", CONCERTS)
    conn.commit()
    conn.close()
    return path


def test_spider_seeds_take_their_values_from_the_sqlite_database(tmp_path: Path) -> None:
    build_sqlite(tmp_path / "database")
    loaded = asyncio.run(
        load_run_seeds(SPIDER / "dev.json", "p", values_from=str(tmp_path / "database"))
    )
    mine = [s for s in loaded.seeds if s.db_id == "concert_singer"]
    others = [s for s in loaded.seeds if s.db_id != "concert_singer"]
    assert mine and all(DATABASE_MARKER in (s.schema_ddl or "") for s in mine)
    assert not any(DATABASE_MARKER in (s.schema_ddl or "") for s in others)
    missing = [p for p in loaded.problems if "no SQLite database" in p]
    assert len(missing) == 1 and "19 database ids" in missing[0]
    ddl = mine[0].schema_ddl or ""
    # Full names are scrubbed before they are written anywhere; countries are kept.
    assert "Joe Sharp" not in ddl and "'<name>'" in ddl and "'Netherlands'" in ddl
    domain = domain_from_ddl(ddl, name="seed-concert", example_sql=[mine[0].sql])
    instance = build_seed_schema(domain, 0)
    sources = instance_value_sources(instance)
    assert ValueSource.DATABASE in sources["singer.Country"]
    assert ValueSource.DATABASE in sources["stadium.Location"]
    countries = {r[instance.table_rows("singer").columns.index("Country")]
                 for r in instance.table_rows("singer").values}  # fmt: skip
    assert countries <= {"Netherlands", "United States", "France"}
    names = {r[instance.table_rows("singer").columns.index("Name")]
             for r in instance.table_rows("singer").values}  # fmt: skip
    assert not names & {s[1] for s in SINGERS}
    # The engine counts distinct values per column (one '<name>'); the sampler counts cells.
    assert domain.seed is not None and dict(domain.seed.scrubbed) == {"name": 1}
    assert any("3 personal values scrubbed" in p for p in loaded.problems), loaded.problems


def test_no_scrub_values_keeps_the_database_values_and_the_record_says_where_they_came_from(
    tmp_path: Path,
) -> None:
    """`--no-scrub-values`: the user's explicit opt-out. The sampled values reach the fixture as
    they are, the record and its export say per column that they came from the database, and
    the seed's own literals are still scrubbed."""
    from proto.common import SeedMode
    from proto.sample import Blueprint, SampleEnvelope
    from proto.seed import SeedEvent
    from shared.export.records import provenance_record
    from shared.generation.template.engine import TemplateEngine
    from shared.ingest.value_source import UNSCRUBBED_MARKER
    from shared.pipeline.records import dataset_record

    build_sqlite(tmp_path / "database")
    loaded = asyncio.run(
        load_run_seeds(
            SPIDER / "dev.json", "p", values_from=str(tmp_path / "database"), scrub_values=False
        )
    )
    mine = [s for s in loaded.seeds if s.db_id == "concert_singer"]
    ddl = mine[0].schema_ddl or ""
    assert UNSCRUBBED_MARKER in ddl and "'Joe Sharp'" in ddl and "'<name>'" not in ddl
    assert any("NOT scrubbed (--no-scrub-values)" in p for p in loaded.problems), loaded.problems

    # A table whose `contact` column holds e-mails: scrubbed by default, kept on opt-out.
    path = tmp_path / "crm.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE client (id INTEGER PRIMARY KEY, name TEXT, contact TEXT)")
    conn.executemany(
        "INSERT INTO client VALUES (?, ?, ?)",
        [(i, f"Firm {i}", f"desk{i}@acme-{i}.com") for i in range(1, 9)],
    )
    conn.commit()
    conn.close()
    seed = SeedEvent(
        seed_id="crm:1",
        sql="SELECT name FROM client WHERE contact = 'boss@acme-0.com'",
        schema_ddl="CREATE TABLE client (id INTEGER PRIMARY KEY, name TEXT, contact TEXT);",
        db_id="crm",
        source="test",
    )
    kept_raw, report = asyncio.run(attach_database_values([seed], str(path), scrub=False))
    scrubbed, _ = asyncio.run(attach_database_values([seed], str(path)))
    assert not report.scrub and report.scrubbed == 0
    raw_ddl, safe_ddl = kept_raw[0].schema_ddl or "", scrubbed[0].schema_ddl or ""
    assert "desk3@acme-3.com" in raw_ddl and "desk3@acme-3.com" not in safe_ddl
    # The seed's own SQL literal is scrubbed either way; the database's rows only by default.
    raw = domain_from_ddl(raw_ddl, name="seed-crm-raw", example_sql=[seed.sql])
    safe = domain_from_ddl(safe_ddl, name="seed-crm", example_sql=[seed.sql])
    assert raw.seed is not None and dict(raw.seed.scrubbed) == {"email": 1}
    # Scrubbed: the sampler's one '<email>' placeholder and the literal (distinct values).
    assert safe.seed is not None and dict(safe.seed.scrubbed) == {"email": 2}
    contacts = set(raw.table("client").column("contact").values)
    assert "desk3@acme-3.com" in contacts and "desk1@acme-1.com" in contacts
    assert not any("acme" in v for v in safe.table("client").column("contact").values)

    blueprint = Blueprint(domain="seed_crm", seed_schema=raw_ddl, seed_mode=SeedMode.EXPAND)
    draft = TemplateEngine().generate(blueprint, seed=2)
    record = dataset_record(SampleEnvelope(run_id="r", sample_id="s", blueprint=blueprint,
                                           draft=draft))  # fmt: skip
    assert record["value_sources"]["client.contact"][0] == "database"
    # The export's provenance record carries the same per-column sources.
    exported = json.loads(provenance_record(record)["value_sources"])
    assert exported == record["value_sources"]


def test_no_scrub_values_without_values_from_is_one_clear_error() -> None:
    from click.testing import CliRunner

    from services.cli.main import cli

    assert "--no-scrub-values" in CliRunner().invoke(cli, ["run", "--help"]).output
    result = CliRunner().invoke(cli, ["run", "--no-scrub-values", "--count", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: --no-scrub-values needs --values-from"]


def test_a_missing_source_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file or folder"):
        asyncio.run(attach_database_values([], str(tmp_path / "nope.sqlite")))


@pytest.mark.e2e
def test_values_from_a_postgres_dsn(stack: object, tmp_path: Path) -> None:
    dsn = stack.dsn("postgres")  # type: ignore[attr-defined]
    assert dsn

    async def load() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DROP TABLE IF EXISTS singer_in_concert, concert, singer, stadium")
            await conn.execute(render_spider_ddl(concert_singer_entry()))
            await conn.executemany(
                "INSERT INTO singer VALUES ($1,$2,$3,$4,$5,$6,$7)",
                SINGERS,
            )
        finally:
            await conn.close()

    asyncio.run(load())
    seeds = asyncio.run(load_run_seeds(SPIDER / "dev.json", "p")).seeds
    mine = [s for s in seeds if s.db_id == "concert_singer"][:3]
    attached, report = asyncio.run(attach_database_values(mine, dsn))
    assert report.tables == 1 and report.scrubbed >= 3
    assert all("'France'" in (s.schema_ddl or "") for s in attached)


@pytest.mark.e2e
def test_values_from_a_mariadb_dsn(stack: object) -> None:
    """A real MariaDB database on the test stack, built from Spider's concert_singer schema
    (rendered for MySQL by sqlglot), sampled through a mysql:// DSN like PostgreSQL's."""
    import aiomysql

    from proto.common import Engine
    from shared.engines.render import render_sql

    dsn = stack.dsn("mysql")  # type: ignore[attr-defined]
    assert dsn
    url = urlsplit(dsn)
    database = "values_from_mariadb"
    ddl = render_sql(render_spider_ddl(concert_singer_entry()), Engine.SQLITE, Engine.MYSQL)

    async def load() -> None:
        conn = await aiomysql.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            autocommit=True,
        )
        try:
            async with conn.cursor() as cursor:
                await cursor.execute(f"DROP DATABASE IF EXISTS {database}")
                await cursor.execute(f"CREATE DATABASE {database}")
                await cursor.execute(f"USE {database}")
                for statement in ddl.split(";\n"):
                    await cursor.execute(statement)
                await cursor.executemany(
                    "INSERT INTO stadium VALUES (%s,%s,%s,%s,%s,%s,%s)", STADIUMS
                )
                await cursor.executemany(
                    "INSERT INTO singer VALUES (%s,%s,%s,%s,%s,%s,%s)", SINGERS
                )
        finally:
            conn.close()

    asyncio.run(load())
    source = urlunsplit(url._replace(path=f"/{database}"))
    seeds = asyncio.run(load_run_seeds(SPIDER / "dev.json", "p")).seeds
    mine = [s for s in seeds if s.db_id == "concert_singer"][:3]
    attached, report = asyncio.run(attach_database_values(mine, source))
    assert report.tables == 2 and report.scrubbed >= 3  # stadium and singer; concert is empty
    ddl_with_rows = attached[0].schema_ddl or ""
    assert DATABASE_MARKER in ddl_with_rows and "'France'" in ddl_with_rows
    assert "Joe Sharp" not in ddl_with_rows  # a person's full name never leaves the sampler
    domain = domain_from_ddl(ddl_with_rows, name="seed-concert-mariadb", example_sql=[mine[0].sql])
    sources = instance_value_sources(build_seed_schema(domain, 0))
    assert ValueSource.DATABASE in sources["singer.Country"]
    assert ValueSource.DATABASE in sources["stadium.Location"]
