"""domain_from_ddl on hand-written DDL: types, kinds, keys, links, labels, words, example values,
quoting, determinism, and hostile input (each a working domain or a clear GenerationError)."""

from __future__ import annotations

import sqlite3

import pytest

from shared.errors import GenerationError
from shared.generation.template.schema.catalogue import validate_domain
from shared.generation.template.schema.ddl import render_insert
from shared.generation.template.schema.schema_model import ColumnType, Domain, ValueKind
from shared.generation.template.schema.seed_words import label_words, plural, singular, table_nouns
from shared.generation.template.seed.from_ddl import (
    MAX_SEED_TABLES,
    SYNTHETIC_KEY,
    domain_from_ddl,
    seed_digest,
)
from shared.generation.template.seed.seed_schema import build_seed_schema

SHOP_PG = """
CREATE TABLE customers (
    id SERIAL PRIMARY KEY,
    full_name VARCHAR(80) NOT NULL,
    email TEXT,
    city TEXT,
    signup_date TIMESTAMP WITH TIME ZONE,
    is_active BOOLEAN DEFAULT true
);
CREATE TABLE orders (
    order_id BIGINT,
    customer_id INTEGER REFERENCES customers(id),
    status VARCHAR(20),
    total_amount NUMERIC(10, 2),
    ordered_on DATE,
    notes JSONB,
    PRIMARY KEY (order_id)
);
CREATE TABLE order_items (
    order_id INT, product_code TEXT, qty INT,
    PRIMARY KEY (order_id, product_code),
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
);
CREATE INDEX idx_orders ON orders (customer_id);
"""


def _sound(domain: Domain) -> None:
    assert validate_domain(domain, tables=(1, MAX_SEED_TABLES), identifiers=False) == []


def _columns(domain: Domain, table: str) -> dict[str, tuple[ColumnType, ValueKind]]:
    return {c.name: (c.type, c.kind) for c in domain.table(table).columns}


def test_postgres_shop_maps_types_kinds_keys_and_links() -> None:
    domain = domain_from_ddl(
        SHOP_PG, name="shop", example_sql=["SELECT * FROM orders WHERE status = 'shipped'"]
    )
    _sound(domain)
    customers = _columns(domain, "customers")
    assert customers["id"] == (ColumnType.INTEGER, ValueKind.ID)
    assert customers["full_name"] == (ColumnType.TEXT, ValueKind.PERSON_NAME)
    assert customers["email"][1] is ValueKind.EMAIL
    assert customers["city"][1] is ValueKind.CITY
    assert customers["signup_date"] == (ColumnType.DATE, ValueKind.DATE)  # timestamp -> DATE
    assert customers["is_active"][0] is ColumnType.INTEGER  # boolean -> 0/1
    orders = domain.table("orders")
    assert orders.primary_key == "order_id"
    assert [(fk.column, fk.ref_table, fk.ref_column) for fk in orders.foreign_keys] == [
        ("customer_id", "customers", "id")
    ]
    assert "notes" not in {c.name for c in orders.columns}  # JSONB is not portable
    assert _columns(domain, "orders")["total_amount"] == (ColumnType.DECIMAL, ValueKind.MONEY)
    assert "shipped" in orders.column("status").values  # harvested from the example SQL
    assert orders.label_column is not None
    # A composite key that is not a pair of links is not carried; the engine keeps its own.
    items = domain.table("order_items")
    assert items.primary_key == SYNTHETIC_KEY
    assert domain.seed is not None and "order_items" in domain.seed.synthetic_keys
    assert any("JSONB" in note for note in domain.seed.notes)


def test_mysql_backticks_enums_and_inline_types() -> None:
    ddl = """
    CREATE TABLE `Authors` (`AuthorID` int(11) NOT NULL AUTO_INCREMENT, `Name` varchar(50),
      `Country` varchar(40), PRIMARY KEY (`AuthorID`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
    CREATE TABLE `Books` (`BookID` int NOT NULL, `AuthorID` int, `Genre` enum('Fiction',
      'Poetry', 'Essay'), `Price` decimal(8,2), `Published` year, `InPrint` tinyint(1),
      PRIMARY KEY (`BookID`),
      CONSTRAINT `fk_author` FOREIGN KEY (`AuthorID`) REFERENCES `Authors` (`AuthorID`));
    """
    domain = domain_from_ddl(ddl, name="books")
    _sound(domain)
    books = domain.table("Books")
    assert books.foreign_keys[0].ref_table == "Authors"
    assert books.column("Genre").values == ("Fiction", "Poetry", "Essay")
    assert books.column("Price").kind is ValueKind.MONEY
    assert books.column("InPrint").type is ColumnType.INTEGER
    assert domain.table("Authors").column("Name").kind in (
        ValueKind.PERSON_NAME,
        ValueKind.TITLE,
    )
    assert domain.table("Authors").column("Country").kind is ValueKind.COUNTRY


def test_pg_dump_style_public_schema_and_keys_added_by_alter_table() -> None:
    ddl = """
    SET statement_timeout = 0;
    CREATE TABLE public.customers (id integer NOT NULL, name character varying(50),
        created_at timestamp without time zone);
    CREATE TABLE public.orders (id bigint NOT NULL, customer_id integer, total numeric(10,2));
    ALTER TABLE ONLY public.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);
    ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
    ALTER TABLE ONLY public.orders
        ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES public.customers(id);
    CREATE INDEX orders_customer ON public.orders USING btree (customer_id);
    """
    domain = domain_from_ddl(ddl, name="pgdump")
    _sound(domain)
    assert [t.name for t in domain.tables] == ["customers", "orders"]
    orders = domain.table("orders")
    assert orders.primary_key == "id"
    assert [(fk.column, fk.ref_table) for fk in orders.foreign_keys] == [
        ("customer_id", "customers")
    ]
    assert domain.table("customers").column("created_at").type is ColumnType.DATE


def test_keys_and_links_by_naming_convention_without_declarations() -> None:
    ddl = """
    CREATE TABLE Regions (RegionID INT, RegionName TEXT);
    CREATE TABLE FarmingSites (SiteID INT, RegionID INT, Area REAL, Established INT);
    CREATE TABLE harvests (id INT, farming_site_id INT, crop TEXT, yield_tons REAL,
      harvest_date DATE, region TEXT);
    """
    domain = domain_from_ddl(ddl, name="farms")
    _sound(domain)
    assert domain.table("Regions").primary_key == "RegionID"
    assert domain.table("FarmingSites").primary_key == "SiteID"
    assert domain.table("FarmingSites").foreign_keys[0].ref_table == "Regions"
    harvests = domain.table("harvests")
    assert harvests.primary_key == "id"
    assert [(fk.column, fk.ref_table) for fk in harvests.foreign_keys] == [
        ("farming_site_id", "FarmingSites")
    ]
    assert harvests.label_column == "crop"  # free text names a row; `region` is a category
    assert harvests.column("yield_tons").kind is ValueKind.MEASURE


def test_links_from_joins_in_the_example_sql() -> None:
    ddl = """
    CREATE TABLE company_founding (id INTEGER PRIMARY KEY, company_name TEXT, founder_gender TEXT);
    CREATE TABLE investment_rounds (id INTEGER PRIMARY KEY, company_id INTEGER, round_type TEXT);
    """
    sql = (
        "SELECT cf.company_name FROM company_founding cf JOIN investment_rounds ir "
        "ON cf.id = ir.company_id WHERE ir.round_type = 'Series A'"
    )
    domain = domain_from_ddl(ddl, name="vc", example_sql=[sql])
    fks = domain.table("investment_rounds").foreign_keys
    assert [(fk.column, fk.ref_table) for fk in fks] == [("company_id", "company_founding")]
    assert "Series A" in domain.table("investment_rounds").column("round_type").values


def test_junction_with_composite_key_of_links() -> None:
    ddl = """
    CREATE TABLE student (StuID INTEGER PRIMARY KEY, LName TEXT, Age INTEGER);
    CREATE TABLE course (CID TEXT PRIMARY KEY, CName TEXT);
    CREATE TABLE enrolled (StuID INTEGER REFERENCES student(StuID), CID TEXT REFERENCES course,
      Grade TEXT, PRIMARY KEY (StuID, CID));
    """
    domain = domain_from_ddl(ddl, name="school")
    _sound(domain)
    enrolled = domain.table("enrolled")
    assert enrolled.primary_key == SYNTHETIC_KEY and enrolled.unique_together == ("StuID", "CID")
    assert domain.seed is not None and "course" in domain.seed.text_keys
    ddl_text = build_seed_schema(domain, 0).ddl
    assert 'PRIMARY KEY ("StuID", "CID")' in ddl_text or "PRIMARY KEY (StuID, CID)" in ddl_text
    assert SYNTHETIC_KEY not in ddl_text


def test_cycles_are_broken_and_self_links_are_nullable() -> None:
    ddl = """
    CREATE TABLE departments (id INT PRIMARY KEY, name TEXT, head_id INT REFERENCES employees(id));
    CREATE TABLE employees (id INT PRIMARY KEY, full_name TEXT, department_id INT
      REFERENCES departments(id), manager_id INT REFERENCES employees(id));
    """
    domain = domain_from_ddl(ddl, name="org")
    _sound(domain)
    links = {(t.name, fk.column) for t in domain.tables for fk in t.foreign_keys}
    assert len(links & {("departments", "head_id"), ("employees", "department_id")}) == 1
    assert domain.table("employees").column("manager_id").nullable
    assert domain.seed is not None and any("cycle" in n for n in domain.seed.notes)


def test_values_from_inserts_and_example_sql_feed_categories_ranges_and_dates() -> None:
    ddl = """
    CREATE TABLE Song (Title TEXT(30), Genre TEXT(10), Duration REAL, Released DATE);
    INSERT INTO Song (Title, Genre, Duration, Released) VALUES ('Song1', 'Country', 3.45,
      '2011-02-01'), ('Song2', 'Pop', 4.23, '2015-06-30'), ('It''s', 'Rock', 2.98, '2013-01-01');
    """
    sql = "SELECT * FROM Song WHERE Genre IN ('Jazz', 'Pop') AND Duration > 2.5"
    domain = domain_from_ddl(ddl, name="songs", example_sql=[sql])
    song = domain.table("Song")
    assert set(song.column("Genre").values) >= {"Country", "Pop", "Rock", "Jazz"}
    assert song.label_column == "Title" and "Song1" in song.column("Title").values
    assert "It's" not in song.column("Title").values  # quotes are not portable values
    duration = song.column("Duration")
    assert duration.low is not None and duration.high is not None
    assert duration.low <= 2.5 and duration.high >= 4.23
    released = song.column("Released")
    assert (released.low, released.high) == (2011, 2015)


def test_words_from_identifiers() -> None:
    assert table_nouns("order_items") == ("order item", "order items")
    assert table_nouns("FarmingRegions") == ("farming region", "farming regions")
    assert table_nouns("tblPeople") == ("person", "people")
    assert table_nouns("Song") == ("song", "songs")
    assert table_nouns("categories") == ("category", "categories")
    assert label_words("AvgSurvivalRate") == "average survival rate"
    assert label_words("HTTPStatusCode") == "http status code"
    assert singular("addresses") == "address" and singular("status") == "status"
    assert plural("box") == "boxes" and plural("company") == "companies"


def test_table_nouns_count_the_noun_a_person_counts() -> None:
    # Issue 13's reads of a Spider-seeded run: "the number of singer in concerts", "the first 5
    # cars data by mpg".
    assert table_nouns("singer_in_concert") == ("singer in concert", "singers in concert")
    assert table_nouns("points_of_interest") == ("point of interest", "points of interest")
    assert table_nouns("cars_data") == ("car record", "car records")
    assert table_nouns("player_info") == ("player record", "player records")
    assert table_nouns("data") == ("data", "data")  # nothing before it to be about


def test_identifiers_stay_the_seeds_and_are_quoted_where_needed() -> None:
    ddl = """
    CREATE TABLE "Order Details" ("OrderID" INTEGER PRIMARY KEY, "Unit Price" REAL,
      "order" TEXT, "Desc" TEXT, Quantity INT);
    CREATE TABLE Customers (CustomerID INTEGER PRIMARY KEY, CompanyName TEXT, "group" TEXT);
    """
    domain = domain_from_ddl(ddl, name="nw")
    assert domain.seed is not None
    quoted = domain.seed.quoted
    # Spaces, reserved words, and quoted mixed case are quoted; unquoted mixed case is not
    # (PostgreSQL folded it when the seed's DDL ran).
    assert {"Order Details", "Unit Price", "order", "Desc", "OrderID", "group"} <= quoted
    assert "CustomerID" not in quoted and "Customers" not in quoted
    assert {t.name for t in domain.tables} == {"Order Details", "Customers"}
    instance = build_seed_schema(domain, 1)
    conn = sqlite3.connect(":memory:")
    conn.executescript(instance.ddl)
    for rows in instance.rows:
        for stmt in render_insert(rows, quoted=quoted):
            conn.execute(stmt)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert sorted(names) == ["Customers", "Order Details"]
    got = conn.execute('SELECT COUNT(*), SUM("Unit Price") FROM "Order Details"').fetchone()
    assert got[0] == instance.row_count("Order Details") and got[1] is not None


def test_same_ddl_same_domain_and_examples_change_the_digest() -> None:
    first = domain_from_ddl(SHOP_PG, name="a")
    assert domain_from_ddl(SHOP_PG, name="a") is first  # cached
    assert domain_from_ddl(SHOP_PG + "\n", name="a") == first  # same content
    assert seed_digest(SHOP_PG) != seed_digest(SHOP_PG, ["SELECT 1"])
    assert first.seed is not None and first.seed.digest == seed_digest(SHOP_PG)


@pytest.mark.parametrize(
    ("ddl", "words"),
    [
        ("", "empty"),
        ("   \n-- nothing here\n", "no table"),
        ("this is not sql at all ;;; )(", "no table"),
        ("CREATE VIEW v AS SELECT 1 AS x;", "views are not tables"),
        ("CREATE TABLE t;", "no column list"),
        ("CREATE TABLE t AS SELECT 1 AS x;", "no column list"),
        ("CREATE TABLE blobs (data BLOB, doc JSON);", "not supported"),
        ("CREATE TABLE s.t (id INT, name TEXT);", "schema-qualified"),
        ('CREATE TABLE "x""y" (id INT);', "quote"),
        (f"CREATE TABLE {'t' * 70} (id INT);", "63 bytes"),
        ("CREATE TABLE sqlite_sequence (name TEXT, seq INT);", "SQLite reserves"),
    ],
)
def test_unusable_ddl_raises_a_clear_generation_error(ddl: str, words: str) -> None:
    with pytest.raises(GenerationError, match="seed schema") as info:
        domain_from_ddl(ddl, name="bad")
    assert words in str(info.value)


def test_reserved_word_identifiers_make_a_working_domain() -> None:
    ddl = """
    CREATE TABLE "select" ("from" INTEGER PRIMARY KEY, "where" TEXT, "order" REAL, "rank" INT,
      "Key" TEXT, "date" DATE, "year" INT);
    CREATE TABLE "group" ("id" INT PRIMARY KEY, "select_id" INT REFERENCES "select"("from"),
      "limit" TEXT);
    """
    domain = domain_from_ddl(ddl, name="reserved")
    _sound(domain)
    assert domain.seed is not None
    assert {
        "select",
        "from",
        "where",
        "order",
        "rank",
        "Key",
        "group",
        "limit",
    } <= domain.seed.quoted
    # Words that are legal everywhere stay bare (quoting would change unquoted PostgreSQL names).
    assert not {"date", "year", "id"} & domain.seed.quoted
    conn = sqlite3.connect(":memory:")
    instance = build_seed_schema(domain, 0)
    conn.executescript(instance.ddl)
    for rows in instance.rows:
        for stmt in render_insert(rows, quoted=domain.seed.quoted):
            conn.execute(stmt)
    joined = 'SELECT COUNT(*) FROM "group" g JOIN "select" s ON g.select_id = s."from"'
    assert conn.execute(joined).fetchone()[0] > 0


def test_columns_no_driver_can_name_are_left_out_with_a_note() -> None:
    ddl = """CREATE TABLE airport (Airport_ID INT PRIMARY KEY, Airport_Name TEXT,
      "%_Change_2007" TEXT, "Total Passengers" REAL);"""
    domain = domain_from_ddl(ddl, name="airports")
    assert [c.name for c in domain.table("airport").columns] == [
        "Airport_ID",
        "Airport_Name",
        "Total Passengers",
    ]
    assert domain.seed is not None and any("%_Change_2007" in n for n in domain.seed.notes)


def test_uuid_keys_link_but_plain_uuids_are_left_out() -> None:
    ddl = """
    CREATE TABLE accounts (id UUID PRIMARY KEY, owner_name TEXT, trace UUID);
    CREATE TABLE payments (id SERIAL PRIMARY KEY, account_id UUID REFERENCES accounts(id),
      amount NUMERIC(12, 2), paid_at TIMESTAMPTZ);
    """
    domain = domain_from_ddl(ddl, name="pay")
    _sound(domain)
    assert [c.name for c in domain.table("accounts").columns] == ["id", "owner_name"]
    assert domain.table("payments").foreign_keys[0].ref_table == "accounts"
    assert domain.seed is not None and "accounts" in domain.seed.text_keys


def test_a_table_without_columns_is_dropped_and_the_rest_kept() -> None:
    ddl = "CREATE TABLE empty_one; CREATE TABLE kept (id INT PRIMARY KEY, label TEXT);"
    domain = domain_from_ddl(ddl, name="partial")
    assert [t.name for t in domain.tables] == ["kept"]
    assert domain.seed is not None and any("empty_one" in n for n in domain.seed.notes)


def test_case_insensitive_duplicates_are_dropped_with_a_note() -> None:
    ddl = """CREATE TABLE t (id INT PRIMARY KEY, Name TEXT, name TEXT);
    CREATE TABLE T (id INT);"""
    domain = domain_from_ddl(ddl, name="dups")
    assert [t.name for t in domain.tables] == ["t"]
    assert [c.name for c in domain.table("t").columns] == ["id", "Name"]
    assert domain.seed is not None and len(domain.seed.notes) == 2


def test_fifty_table_schema_converts() -> None:
    parts = ["CREATE TABLE t0 (id INTEGER PRIMARY KEY, name TEXT, amount REAL);"]
    for i in range(1, 50):
        parts.append(
            f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, amount REAL, "
            f"t{i // 2}_id INTEGER REFERENCES t{i // 2}(id));"
        )
    domain = domain_from_ddl("\n".join(parts), name="wide")
    _sound(domain)
    assert len(domain.tables) == 50
    assert sum(len(t.foreign_keys) for t in domain.tables) == 49
    instance = build_seed_schema(domain, 0)
    assert all(instance.row_count(t.name) > 0 for t in domain.tables)


def test_too_many_tables_is_a_generation_error() -> None:
    ddl = "\n".join(f"CREATE TABLE t{i} (id INT PRIMARY KEY, v TEXT);" for i in range(70))
    with pytest.raises(GenerationError, match="at most 64"):
        domain_from_ddl(ddl, name="huge")
