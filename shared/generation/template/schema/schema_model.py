"""The shape of a catalogue domain: tables, typed columns, keys, and hints for values and words.

Domains are data (YAML files in `domains/`); this module is the typed view the row generator,
the query builder and the question writer share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from proto.sample import ValueSource


class ColumnType(StrEnum):
    """Portable column types: each renders and compares the same on SQLite, PostgreSQL, MySQL."""

    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL(12,2)"
    TEXT = "VARCHAR(120)"
    DATE = "DATE"  # stored as 'YYYY-MM-DD'; compared as text on SQLite, so only ISO literals


class ValueKind(StrEnum):
    """What a column holds, so rows look plausible and questions can name it."""

    ID = "id"
    PERSON_NAME = "person_name"
    COMPANY_NAME = "company_name"
    TITLE = "title"  # product names, course titles, ship names: from the column's `values`
    CATEGORY = "category"  # a closed set from the column's `values`
    CITY = "city"
    COUNTRY = "country"
    EMAIL = "email"
    MONEY = "money"
    QUANTITY = "quantity"
    RATING = "rating"
    PERCENT = "percent"
    YEAR = "year"
    DATE = "date"
    MEASURE = "measure"  # any other positive decimal (weight, distance, duration)
    FOREIGN_KEY = "foreign_key"
    # Added for the catalogue (additive): a unique code from `pattern` ('#' digit, '?' letter),
    # e.g. flight numbers, SKUs, plates, invoice numbers.
    CODE = "code"
    # A number that names or orders rather than measures (shirt number, floor, display order):
    # grouped and filtered like a category, never summed or averaged.
    ORDINAL = "ordinal"
    # Free text (a post's body, a user's "about me", a comment): shown, never grouped by or
    # compared for equality — nobody asks for "the posts whose body is '<a sentence>'".
    FREE_TEXT = "free_text"


class FakeKind(StrEnum):
    """What a seed text column without (enough) example values holds, as a Faker provider can
    draw it (`seed_fakes.py`): the issue's "fake-data library for the column's inferred kind"."""

    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    USER_NAME = "user_name"
    EMAIL = "email"
    COMPANY = "company"
    CITY = "city"
    # A place-named thing: a Faker city and the thing's noun ("Ruthfort School").
    PLACE_NAME = "place_name"
    STATE = "state"
    STATE_ABBR = "state_abbr"
    COUNTRY = "country"
    COUNTRY_CODE = "country_code"  # ISO 3166 alpha-2/-3, when the real values are codes
    STREET = "street"
    TITLE = "title"  # a post's or event's title: Faker's catch phrases
    NAME = "name"  # the name of a thing nothing more is known of: two Faker words
    TEXT = "text"  # free text (descriptions, notes, bodies): a Faker sentence
    WORD = "word"  # a category nothing is known of: Faker words
    SHAPE = "shape"  # the shape of the column's one example value, filled by Faker's bothify
    COLOR = "color"
    LANGUAGE = "language"
    CURRENCY = "currency"
    JOB = "job"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    TIME = "time"
    UUID = "uuid"
    NUMBER = "number"  # a number kept as text ('130'), in the range `pattern` says (lo:hi:dec)
    TAGS = "tags"  # a tag list ('<regression><r>')
    XML = "xml"  # an XML fragment whose root `pattern` names ('<goal />')


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    kind: ValueKind
    # Human words for the column in questions ("unit price", "hire date").
    label: str
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    nullable: bool = False
    # CODE columns: '#' becomes a digit, '?' an upper-case letter ("FL-####").
    pattern: str | None = None
    # DATE columns: a column of the same table this date falls after (shipped after ordered);
    # `low`/`high` are then the gap in days.
    after: str | None = None
    # The type as the DDL spells it ("VARCHAR(80)", "SMALLINT", a seed's "text"); empty means
    # `type.value`. `type` stays the portable class the query builder reasons with.
    sql_type: str = ""
    # A DEFAULT literal rendered in the DDL (already a SQL literal), or None.
    default: str | None = None
    # Closed-list values that belong to a country (a Bordeaux winery is French): (value,
    # country) pairs; the row's place follows the first such value, later ones are narrowed.
    value_countries: tuple[tuple[str, str], ...] = ()
    # A bookkeeping column (record status, creation date) added only to reach the spec's
    # columns_per_table: it has rows like any column, but nobody asks about it, so the query
    # builder reads it only when the table has nothing else of the kind it needs.
    filler: bool = False
    # Seed columns only: the Faker provider that draws the values `values` does not hold (a
    # text column without example values, or with too few for its rows); None elsewhere.
    fake: FakeKind | None = None
    # DATE columns of a seed whose values carry a time or are text in the seed's own format:
    # the strftime format of a value ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT00:00:00"); empty means an
    # ISO date 'YYYY-MM-DD'.
    date_format: str = ""

    @property
    def ddl_type(self) -> str:
        return self.sql_type or self.type.value


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    name: str
    # Singular and plural nouns for questions ("order"/"orders").
    noun: str
    plural: str
    columns: tuple[Column, ...]
    primary_key: str
    foreign_keys: tuple[ForeignKey, ...] = ()
    # The column a person would use to name a row (e.g. customers.full_name). None only for
    # junction tables (n:m links such as order_items), which are named by their parents.
    label_column: str | None = None
    # Columns whose combination is unique (the two FKs of a junction table); rendered as UNIQUE.
    unique_together: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")


@dataclass(frozen=True)
class SeedInfo:
    """What a domain built from a user's DDL (`from_ddl.py`) adds to the catalogue's shape."""

    # Hash (12 hex) of the DDL and example SQL the domain was built from.
    digest: str
    # Identifiers rendered in double quotes wherever they occur: names that are not plain
    # identifiers, reserved words, and mixed-case names the seed quoted (PostgreSQL keeps case).
    quoted: frozenset[str] = frozenset()
    # Tables without a usable key in the seed: their `primary_key` is synthetic, kept by the
    # engine for row identity only (absent from the draft's DDL and rows, never read by SQL).
    synthetic_keys: frozenset[str] = frozenset()
    # Tables whose key column is not an integer in the seed (codes): the fixture numbers them,
    # and no INSERT targets them (it would do arithmetic on the seed's text key).
    text_keys: frozenset[str] = frozenset()
    # Tables whose declared composite primary key is their `unique_together`.
    composite_keys: frozenset[str] = frozenset()
    # (table, column) declared NOT NULL by the seed.
    not_null: frozenset[tuple[str, str]] = frozenset()
    # What was dropped or assumed while converting, and why.
    notes: tuple[str, ...] = ()
    # Per "table.column", where the fixture's values come from (seed_values.py).
    value_sources: tuple[tuple[str, tuple[ValueSource, ...]], ...] = ()
    # Sampled values the privacy scrub removed, by kind ("email", "name", ...).
    scrubbed: tuple[tuple[str, int], ...] = ()
    # The country the schema's comments say its data is of (seed_locale.py): people, companies,
    # towns and streets Faker completes are of its locale; None keeps en_US.
    country: str | None = None


@dataclass(frozen=True)
class Domain:
    name: str
    description: str
    tables: tuple[Table, ...]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Set for domains built from a seed's DDL; None for catalogue domains.
    seed: SeedInfo | None = None
    # Whether the DDL declares PRIMARY KEY and FOREIGN KEY clauses (spec properties
    # declares_primary_keys / declares_foreign_keys); rows keep their keys either way.
    declares_primary_keys: bool = True
    declares_foreign_keys: bool = True

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"{self.name}.{name}")
