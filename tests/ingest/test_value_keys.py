"""With `--values-from` a real database, text keys take its codes and the locale follows its
currencies (issue 17, session 8).

The database is built here: Spider dev's dog_kennels schema from `tables.json` with a few rows
(breed codes 'ESK', 'HUS', 'BUL'; size codes 'SML', 'MED', 'LGE'), and a small shop whose
orders are paid in 'CZK'. Nothing ships in `../shared/data`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from proto.sample import ValueSource
from shared.datasets.spider import render_spider_ddl
from shared.generation.template.seed.from_ddl import domain_from_ddl
from shared.generation.template.seed.seed_schema import build_seed_schema
from shared.generation.template.seed.seed_values import instance_value_sources
from shared.ingest.run_seeds import load_run_seeds

SPIDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "spider"
BREEDS = [("ESK", "Eskimo"), ("HUS", "Husky"), ("BUL", "Bulldog")]
SIZES = [("SML", "Small"), ("MED", "Medium"), ("LGE", "Large")]
OWNERS = [
    (1, "Nora", "Haley", "0647 Hintz Village", "Lake Tia", "Wisconsin", "93165",
     "lynn81@example.org", "1-682-845-0116", "478.978.0729"),
    (2, "Melisa", "DuBuque", "1204 Mae Highway", "Port Reannamouth", "Virginia", "45244",
     "ykris@example.com", "(799)563-0260", "(722)768-5439"),
]  # fmt: skip


def _build_dog_kennels(folder: Path) -> None:
    tables = json.loads((SPIDER / "tables.json").read_text(encoding="utf-8"))
    entry = next(t for t in tables if t["db_id"] == "dog_kennels")
    path = folder / "dog_kennels" / "dog_kennels.sqlite"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(render_spider_ddl(entry))
    conn.executemany("INSERT INTO Breeds VALUES (?, ?)", BREEDS)
    conn.executemany("INSERT INTO Sizes VALUES (?, ?)", SIZES)
    conn.executemany(f"INSERT INTO Owners VALUES ({', '.join('?' * 10)})", OWNERS)
    conn.commit()
    conn.close()


def test_text_keys_take_the_database_codes_and_links_carry_them(tmp_path: Path) -> None:
    _build_dog_kennels(tmp_path / "database")
    loaded = asyncio.run(
        load_run_seeds(SPIDER / "dev.json", "p", values_from=str(tmp_path / "database"))
    )
    seed = next(s for s in loaded.seeds if s.db_id == "dog_kennels")
    domain = domain_from_ddl(seed.schema_ddl or "", name="seed-dogs", example_sql=[seed.sql])
    instance = build_seed_schema(domain, 0)
    sources = instance_value_sources(instance)
    for table, key, real in (("Breeds", "breed_code", BREEDS), ("Sizes", "size_code", SIZES)):
        rows = instance.table_rows(table)
        keys = [r[rows.columns.index(key)] for r in rows.values]
        # The real codes first (not 'BRE01'), generated ones only past them.
        assert keys[: len(real)] == [code for code, _ in real], keys
        assert ValueSource.DATABASE in sources[f"{table}.{key}"]
        dogs = instance.table_rows("Dogs")
        links = {r[dogs.columns.index(key)] for r in dogs.values} - {None}
        assert links and links <= set(keys)
        assert ValueSource.DATABASE in sources[f"Dogs.{key}"]


def test_the_locale_follows_a_currency_in_the_database(tmp_path: Path) -> None:
    ddl = (
        "CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, first_name TEXT, "
        "last_name TEXT, city TEXT, currency TEXT);"
    )
    seeds = tmp_path / "seeds.jsonl"
    gretel = {"sql_prompt": "How many customers?", "sql_context": ddl,
              "sql": "SELECT count(*) FROM customer"}  # fmt: skip
    seeds.write_text(json.dumps(gretel) + "\n")
    path = tmp_path / "shop.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(ddl)
    conn.executemany(
        "INSERT INTO customer (customer_id, currency) VALUES (?, ?)",
        [(1, "CZK"), (2, "EUR"), (3, "CZK")],
    )
    conn.commit()
    conn.close()
    loaded = asyncio.run(load_run_seeds(seeds, "p", values_from=str(path)))
    (seed,) = loaded.seeds
    domain = domain_from_ddl(seed.schema_ddl or "", name="seed-shop", example_sql=[seed.sql])
    # No comment names a country; 'CZK' is paid in one of Faker's locales only ('EUR' in many).
    assert domain.seed is not None and domain.seed.country == "Czechia"
    euro_only = domain_from_ddl(
        ddl + "\nINSERT INTO customer VALUES (1, 'A', 'B', 'C', 'EUR');", name="seed-euro"
    )
    assert euro_only.seed is not None and euro_only.seed.country is None


def test_first_and_last_names_of_database_rows_are_scrubbed(tmp_path: Path) -> None:
    """Each of 'Nora' and 'Haley' alone is no full name, but their row is one person: the name
    parts of the user's rows are scrubbed too, and Faker's first/last names take their place."""
    _build_dog_kennels(tmp_path / "database")
    loaded = asyncio.run(
        load_run_seeds(SPIDER / "dev.json", "p", values_from=str(tmp_path / "database"))
    )
    seed = next(s for s in loaded.seeds if s.db_id == "dog_kennels")
    # Scrubbed at ingest: the seed's DDL, which records carry, never holds them either.
    assert "'Nora'" not in (seed.schema_ddl or "") and "'<name_part>'" in (seed.schema_ddl or "")
    domain = domain_from_ddl(seed.schema_ddl or "", name="seed-dogs2", example_sql=[seed.sql])
    instance = build_seed_schema(domain, 0)
    owners = instance.table_rows("Owners")
    cells = {str(v) for row in owners.values for v in row}
    assert not cells & {"Nora", "Haley", "Melisa", "DuBuque", "lynn81@example.org"}
    # The towns and states of the rows are no person's and stay real.
    assert {"Lake Tia", "Port Reannamouth"} & cells
    # One placeholder per column (the engine counts distinct values): first and last names.
    assert domain.seed is not None and dict(domain.seed.scrubbed).get("name_part") == 2
    sources = instance_value_sources(instance)
    assert sources["Owners.first_name"] == [ValueSource.FAKER]
