"""Plausible, deterministic rows for a catalogue domain, with referential integrity.

Values are wire scalars (`proto.sample.Scalar`) chosen to insert identically on every engine:
INTEGER as int, DECIMAL(12,2) as a float rounded to two decimals (render it with two decimals,
as `ddl.render_literal` does), DATE as an ISO 'YYYY-MM-DD' string, text without quotes or
backslashes. About 15% of each parent table's rows get no children, so LEFT JOINs show NULLs.
Each row has one place: its city and country agree, people and companies in it get names of
that country's locale (`people.py`, Faker), and values tied to a country (a Bordeaux winery)
pull the row's place to that country. The values themselves (places, closed lists, patterns,
numbers, dates in a column's format) are drawn by `row_values.py`.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from datetime import date, timedelta

from proto.sample import Scalar, TableRows
from shared.generation.template.instance.row_values import (
    CITIES,
    DEFAULT_YEARS,
    EMAIL_HOSTS,
    closed_pool,
    draw_number,
    fill_pattern,
    skew,
    text_key_prefix,
    write_date,
)
from shared.generation.template.instance.seed_fakes import fake_pool
from shared.generation.template.schema.ddl import fk_order
from shared.generation.template.schema.people import company_name, person_name, to_ascii
from shared.generation.template.schema.schema_model import (
    Column,
    ColumnType,
    Domain,
    Table,
    ValueKind,
)

NULL_SHARE = 0.15
CHILDLESS_SHARE = 0.15
MAX_ROWS = 45
HORIZON = date(DEFAULT_YEARS[1], 12, 31)


def generate_rows(
    domain: Domain, variant: int = 0, rows_per_table: int | None = None
) -> tuple[TableRows, ...]:
    """Rows for every table in FK order; the same (domain, variant, size) gives the same rows."""
    rng = random.Random(f"{domain.name}#{variant}#{rows_per_table}")
    ids: dict[str, list[Scalar]] = {}
    out: list[TableRows] = []
    country = domain.seed.country if domain.seed is not None else None
    for table in fk_order(domain):
        rows = _TableFiller(table, rng, ids, country=country).fill(rows_per_table)
        pk_at = [c.name for c in table.columns].index(table.primary_key)
        ids[table.name] = [r[pk_at] for r in rows]
        out.append(
            TableRows(table=table.name, columns=[c.name for c in table.columns], values=rows)
        )
    return tuple(out)


class _TableFiller:
    """Fills one table; parents' ids are already known (FK order)."""

    def __init__(
        self,
        table: Table,
        rng: random.Random,
        ids: dict[str, list[Scalar]],
        *,
        country: str | None = None,
    ) -> None:
        self.table = table
        # A seed schema's own country (SeedInfo.country): its rows' places and names.
        self.country = country
        self.rng = rng
        self.ids = ids
        self.seen: dict[str, set[Scalar]] = {}
        self.forced_null: dict[str, int] = {}
        # The place of the row being filled (reset for every row).
        self.place: tuple[str | None, str] | None = None
        # Rows this fill makes, and per Faker-drawn column its values (`_fake_pool`).
        self.count = 0
        self.fake_pools: dict[str, list[str]] = {}
        self.fk_of = {fk.column: fk.ref_table for fk in table.foreign_keys}
        # Per foreign key: the parents that get children, in the order they are first used.
        self.active: dict[str, list[Scalar]] = {
            col: self._choose_active(ref) for col, ref in self.fk_of.items() if ref != table.name
        }

    def fill(self, rows_per_table: int | None) -> list[list[Scalar]]:
        count = self._row_count(rows_per_table)
        combos = self._junction_combos(count)
        count = min(count, len(combos)) if combos is not None else count
        self.count = count
        # Every nullable column shows at least one NULL, so IS NULL filters and LEFT JOINs
        # always have something to find.
        self.forced_null = {
            c.name: self.rng.randrange(count)
            for c in self.table.columns
            if c.nullable and c.name != self.table.label_column and count >= 3
        }
        rows: list[list[Scalar]] = []
        for index in range(count):
            row: dict[str, Scalar] = {}
            self.place = None
            if combos is not None:
                row.update(zip(self.table.unique_together, combos[index], strict=True))
            for column in self.table.columns:
                if column.name not in row:
                    row[column.name] = self._value(column, index, row)
            rows.append([row[c.name] for c in self.table.columns])
        return rows

    def _row_count(self, rows_per_table: int | None) -> int:
        junction = bool(self.table.unique_together)
        if rows_per_table is not None:
            count = max(1, round(rows_per_table * (1.5 if junction else 1)))
        elif junction:
            count = self.rng.randint(25, 45)
        elif self.table.foreign_keys:
            count = self.rng.randint(15, 30)
        else:
            count = self.rng.randint(8, 15)
        if rows_per_table is None:
            # Enough children that most parents get one (the rest stay childless on purpose).
            required = [
                len(self.active[c.name])
                for c in self.table.columns
                if c.name in self.active and not c.nullable
            ]
            count = max(count, min(MAX_ROWS, max(required, default=0)))
        label = self.table.label_column
        if label is not None:
            column = self.table.column(label)
            pool = closed_pool(column)
            if pool is None and column.fake is not None:
                self.count = count
                pool = self._fake_pool(column)
            if pool is not None:
                count = min(count, len(pool))
        return count

    def _junction_combos(self, count: int) -> list[tuple[Scalar, ...]] | None:
        if not self.table.unique_together:
            return None
        cols = self.table.unique_together
        lists = [self.active[col] for col in cols]
        # Two links to the same parent never point at one row (nobody follows themselves).
        combos = [
            combo
            for combo in itertools.product(*lists)
            if not any(
                combo[i] == combo[j] and self.fk_of[cols[i]] == self.fk_of[cols[j]]
                for i, j in itertools.combinations(range(len(cols)), 2)
            )
        ]
        self.rng.shuffle(combos)
        # Prefer combinations that bring in a parent not yet linked, so coverage is maximal.
        chosen: list[tuple[Scalar, ...]] = []
        linked: list[set[Scalar]] = [set() for _ in cols]
        for combo in combos:
            if len(chosen) < count and any(v not in linked[i] for i, v in enumerate(combo)):
                chosen.append(combo)
                for i, v in enumerate(combo):
                    linked[i].add(v)
        taken = set(chosen)
        rest = [c for c in combos if c not in taken]
        chosen += rest[: max(0, count - len(chosen))]
        self.rng.shuffle(chosen)
        return chosen

    def _choose_active(self, ref_table: str) -> list[Scalar]:
        parents: list[Scalar] = list(self.ids[ref_table])
        childless = round(len(parents) * CHILDLESS_SHARE) if len(parents) >= 5 else 0
        active = self.rng.sample(parents, len(parents) - childless)
        return active

    def _value(self, column: Column, index: int, row: dict[str, Scalar]) -> Scalar:
        if column.name == self.table.primary_key:
            return self._key(index)
        if self.forced_null.get(column.name) == index:
            return None
        if column.kind is ValueKind.FOREIGN_KEY:
            return self._foreign_key(column, index, row)
        is_label = column.name == self.table.label_column
        if column.nullable and not is_label and self.rng.random() < NULL_SHARE:
            return None
        unique = is_label or column.kind in (ValueKind.CODE, ValueKind.EMAIL)
        seen = self.seen.setdefault(column.name, set())
        pool = self._pool(column, row)
        if unique and pool is not None:  # a closed list is dealt, not redrawn until lucky
            fresh = [p for p in pool if p not in seen]
            # A seed column's real values name rows before Faker's complete them.
            real = [p for p in fresh if p in column.values] if column.fake else []
            value: Scalar = self.rng.choice(real or fresh)
            seen.add(value)
            return value
        for attempt in range(200):
            value = self._draw(column, row, attempt)
            if not unique or value not in seen:
                break
        seen.add(value)
        return value

    def _key(self, index: int) -> Scalar:
        """The key of the index-th row: its number, or a code where the seed's key is text
        (Spider's breed_code, AirportCode: 'BRE07', 'AIR12'), kept as the seed declares it."""
        key = self.table.column(self.table.primary_key)
        if key.type is not ColumnType.TEXT:
            return index + 1
        if index < len(key.values):  # real codes first (seed_types.real_key_codes)
            return key.values[index]
        code = f"{text_key_prefix(key.name, self.table.noun)}{index + 1:02d}"
        return code if code not in key.values else f"{code}X"

    def _foreign_key(self, column: Column, index: int, row: dict[str, Scalar]) -> Scalar:
        ref = self.fk_of[column.name]
        if ref == self.table.name:
            # Hierarchies: the first quarter of rows are the heads the others report to.
            heads = max(1, min(index, 1 + index // 4, 6))
            if index == 0 or self.rng.random() < NULL_SHARE:
                return None
            return self._key(self.rng.randint(1, heads) - 1)
        if column.nullable and self.rng.random() < NULL_SHARE:
            return None
        active = self.active[column.name]
        # Two links to the same parent (home and away team) point at different rows.
        taken = {row.get(c) for c, r in self.fk_of.items() if r == ref and c != column.name}
        if index < len(active) and active[index] not in taken:
            return active[index]  # every active parent gets a child before any gets a second
        choices = [p for p in active if p not in taken] or active
        return self.rng.choices(choices, weights=skew(len(choices)))[0]

    def _pool(self, column: Column, row: dict[str, Scalar]) -> list[str] | None:
        """The column's closed list, narrowed to the row's country for country-tied values."""
        if column.fake is not None:
            return self._fake_pool(column)
        pool = closed_pool(column)
        if pool is None or not column.value_countries:
            return pool
        country = self._tied_country(row)
        if country is None:
            return pool
        tied = dict(column.value_countries)
        return [v for v in pool if tied.get(v) == country] or pool

    def _fake_pool(self, column: Column) -> list[str]:
        pool = self.fake_pools.get(column.name)
        if pool is None:
            label = column.name == self.table.label_column
            seen = self.seen.get(column.name, set())
            pool = fake_pool(column, label, self.count, seen, self.rng, country=self.country)
            self.fake_pools[column.name] = pool
        return pool

    def _tied_country(self, row: dict[str, Scalar]) -> str | None:
        for column in self.table.columns:
            value = row.get(column.name)
            if column.value_countries and isinstance(value, str):
                country = dict(column.value_countries).get(value)
                if country is not None:
                    return country
        return None

    def _place(self, row: dict[str, Scalar]) -> tuple[str | None, str]:
        """(city, country) of the row being filled: drawn once per row, in the country of
        a country-tied value when the row has one."""
        if self.place is None:
            country = self._tied_country(row) or self.country
            choices = [c for c in CITIES if country is None or c[1] == country]
            self.place = self.rng.choice(choices) if choices else (None, country or "")
        return self.place

    def _draw(self, column: Column, row: dict[str, Scalar], attempt: int) -> Scalar:
        rng, kind = self.rng, column.kind
        pool = self._pool(column, row)
        if (
            kind is ValueKind.CITY
            and column.fake is None
            and column.name != self.table.label_column
        ):
            city = self._place(row)[0]
            if city is not None and attempt == 0:
                return city
        if pool is not None:
            weighted = kind is ValueKind.CATEGORY and column.name != self.table.label_column
            return rng.choices(pool, weights=skew(len(pool)))[0] if weighted else rng.choice(pool)
        if kind is ValueKind.PERSON_NAME:
            return person_name(self._place(row)[1], rng)
        if kind is ValueKind.COMPANY_NAME:
            return company_name(self._place(row)[1], rng)
        if kind is ValueKind.CITY:
            return rng.choice(CITIES)[0]
        if kind is ValueKind.COUNTRY:
            sibling = self._sibling(row, ValueKind.CITY)
            countries = dict(CITIES)
            if isinstance(sibling, str) and sibling in countries and attempt == 0:
                return countries[sibling]
            if attempt == 0:
                return self._place(row)[1]
            return rng.choice(sorted(set(countries.values())))
        if kind is ValueKind.EMAIL:
            return self._email(row, attempt)
        if kind is ValueKind.CODE:
            return fill_pattern(column.pattern or "###", rng)
        if kind is ValueKind.DATE:
            return self._date(column, row)
        return draw_number(column, rng)

    def _sibling(self, row: dict[str, Scalar], kind: ValueKind) -> Scalar:
        for column in self.table.columns:
            if column.kind is kind and row.get(column.name) is not None:
                return row[column.name]
        return None

    def _email(self, row: dict[str, Scalar], attempt: int) -> str:
        owner = self._sibling(row, ValueKind.PERSON_NAME) or self._sibling(
            row, ValueKind.COMPANY_NAME
        )
        base = re.sub(r"[^a-z0-9]+", ".", to_ascii(str(owner or "contact")).lower()).strip(".")
        suffix = str(attempt + 1) if attempt else ""
        return f"{base}{suffix}@{EMAIL_HOSTS[len(base) % len(EMAIL_HOSTS)]}"

    def _date(self, column: Column, row: dict[str, Scalar]) -> Scalar:
        if column.after is not None:
            start = row.get(column.after)
            if start is None:
                return None
            low = 1 if column.low is None else int(column.low)
            gap = self.rng.randint(low, 60 if column.high is None else int(column.high))
            end = date.fromisoformat(str(start)[:10]) + timedelta(days=gap)
            # A nullable end (closed, returned, cancelled) has not happened yet if it would fall
            # after the data's horizon; a required one (policy end, planned finish) may be ahead.
            if column.nullable and end > HORIZON:
                return None
            return write_date(column, end, self.rng)
        first = date(int(column.low or DEFAULT_YEARS[0]), 1, 1)
        last = date(int(column.high or DEFAULT_YEARS[1]), 12, 31)
        day = first + timedelta(days=self.rng.randint(0, (last - first).days))
        return write_date(column, day, self.rng)


def new_row(
    table: Table, existing: Sequence[Sequence[Scalar]], ids: dict[str, list[Scalar]], seed: int
) -> dict[str, Scalar] | None:
    """One more plausible row for `table` (INSERT … VALUES "add a new product"): values drawn
    as the fixture's were, names and codes unlike those already there, parents among the
    existing keys, the key one past the largest. None when a closed list of names is used up."""
    rng = random.Random(seed)
    filler = _TableFiller(table, rng, ids)
    for at, column in enumerate(table.columns):
        filler.seen[column.name] = {r[at] for r in existing}
    index = len(existing)
    filler.count = 1
    row: dict[str, Scalar] = {}
    try:
        for column in table.columns:
            row[column.name] = filler._value(column, index, row)
    except IndexError:  # a closed pool with nothing left
        return None
    for at, column in enumerate(table.columns):
        unique = column.name == table.label_column or column.kind in (
            ValueKind.CODE,
            ValueKind.EMAIL,
        )
        if unique and row[column.name] in {r[at] for r in existing}:
            return None
    if table.column(table.primary_key).type is ColumnType.TEXT:
        return row  # a code past the existing rows' (seed_schema.py bars INSERTs into them)
    keys = [r[[c.name for c in table.columns].index(table.primary_key)] for r in existing]
    row[table.primary_key] = max((k for k in keys if isinstance(k, int)), default=0) + 1
    return row
