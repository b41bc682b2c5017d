"""Primary and foreign keys of a seed schema: declared ones first, then naming conventions.

The engine needs one integer-valued key per table and foreign keys that point at those keys,
without cycles. Choices, in order (the least surprising we found):

- key: the declared single-column primary key; else a column other tables reference; else an
  integer column that names its table (`id`, `customer_id` in `customers`, `RegionID` in
  `FarmingRegions`); else the first integer `...id` column that names no other table; else a
  referenced text column; else none — the table gets a synthetic key that only the engine sees.
  A declared composite key is kept as written when it is the table's foreign-key pair (a
  junction table); otherwise it is not carried (the fixture's rows need not satisfy it).
- foreign keys: declared (table-level or inline REFERENCES) when they point at the parent's
  key and the types agree; then `<table>_id` / `<table>id` columns (and columns named exactly
  like another table's non-`id` key) when the types agree. Composite foreign keys are dropped.
- cycles: the foreign key that closes a cycle is dropped (rows are generated parents first).
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

from shared.generation.template.schema.seed_words import singular, words
from shared.generation.template.seed.seed_parse import Join, RawColumn, RawTable

# Type classes of seed columns (see seed_kinds.type_class).
INT, DEC, TEXT, DATE, BOOL, UUID = "int", "dec", "text", "date", "bool", "uuid"
_KEY_CLASSES = {INT: "number", DEC: "number", TEXT: "text", DATE: "text", UUID: "text"}


@dataclass
class SeedTable:
    name: str
    raw: RawTable
    columns: list[RawColumn]
    classes: dict[str, str]
    key: str | None = None
    text_key: bool = False
    composite: tuple[str, ...] = ()
    fks: dict[str, tuple[str, str]] = field(default_factory=dict)
    nullable: set[str] = field(default_factory=set)

    def find(self, name: str | None) -> str | None:
        """The column's spelling in this table (names match case-insensitively)."""
        if name is None:
            return None
        low = name.lower()
        return next((c.name for c in self.columns if c.name.lower() == low), None)


def assign_keys(tables: list[SeedTable], joins: list[Join], notes: list[str]) -> None:
    """Choose every table's key, then its foreign keys (declared, joined on in the example
    SQL, named by convention); break cycles."""
    by_name = {t.name.lower(): t for t in tables}
    referenced: dict[str, set[str]] = {t.name.lower(): set() for t in tables}
    for table in tables:
        for fk in table.raw.foreign_keys:
            parent = by_name.get(fk.ref_table.lower())
            if parent is not None and len(fk.ref_columns) == 1:
                referenced[parent.name.lower()].add(fk.ref_columns[0].lower())
    for table in tables:
        _choose_key(table, referenced[table.name.lower()], by_name, notes)
    for table in tables:
        _declared_fks(table, by_name, notes)
    for (a, a_col), (b, b_col) in joins:
        _joined_fk(by_name.get(a), a_col, by_name.get(b), b_col)
    for table in tables:
        _convention_fks(table, tables)
    _break_cycles(tables, notes)
    for table in tables:
        _junction_key(table, notes)


def _choose_key(
    table: SeedTable, referenced: set[str], by_name: dict[str, SeedTable], notes: list[str]
) -> None:
    classes = table.classes
    declared = [table.find(c) for c in table.raw.primary_key]
    linked = {c.lower() for fk in table.raw.foreign_keys for c in fk.columns}
    # A declared key that is also a link to another table (1:1, or a composite key cut to its
    # first column) stays a link: joins matter more than the key, which the engine can keep.
    if (
        len(declared) == 1
        and declared[0] is not None
        and classes[declared[0]] in _KEY_CLASSES
        and declared[0].lower() not in linked
    ):
        _set_key(table, declared[0])
        return
    if len(declared) > 1 and all(declared):
        table.composite = tuple(c for c in declared if c)
    cols = [c.name for c in table.columns]
    others = [t for t in by_name if t != table.name.lower()]

    def names_other(column: str) -> bool:
        return any(names_table(column, o, exact=True) for o in others)

    ints = [c for c in cols if classes[c] == INT and c.lower() not in linked]
    own = [
        c
        for c in ints
        if names_table(c, table.name, exact=True)
        or (names_table(c, table.name) and not names_other(c))
    ]
    first_id = (
        [] if table.composite else [c for c in ints if _ends_with_id(c) and not names_other(c)]
    )
    candidates = (
        [c for c in ints if c.lower() in referenced]
        + own
        + first_id
        + [
            c
            for c in cols
            if c.lower() in referenced and c.lower() not in linked and classes[c] in _KEY_CLASSES
        ]
    )
    if candidates:
        _set_key(table, candidates[0])
    else:
        notes.append(f"table {table.name}: no usable key column; the engine keeps its own")


def _set_key(table: SeedTable, column: str) -> None:
    table.key = column
    table.text_key = _KEY_CLASSES.get(table.classes[column]) == "text"


def _ends_with_id(column: str) -> bool:
    parts = words(column)
    return bool(parts) and (parts[-1] == "id" or (parts[-1].endswith("id") and len(parts) == 1))


def _stem(column: str) -> str | None:
    """'customer' for customer_id / CustomerID / customerid; None when it names no table."""
    parts = words(column)
    if not parts:
        return None
    if parts[-1] == "id":
        return "".join(parts[:-1])
    if len(parts) == 1 and parts[0].endswith("id") and len(parts[0]) > 2:
        return parts[0][:-2]
    return None


def names_table(column: str, table: str, *, exact: bool = False) -> bool:
    """`id` names every table; `customer_id` names customers; `RegionID` names
    FarmingRegions unless `exact`."""
    stem = _stem(column)
    if stem is None:
        return False
    if stem == "":
        return not exact
    parts = words(table)
    if not parts:
        return False
    whole = "".join(parts)
    one = "".join([*parts[:-1], singular(parts[-1])])
    if stem in (whole, one):
        return True
    return not exact and (whole.endswith(stem) or one.endswith(stem))


def _compatible(child: SeedTable, column: str, parent: SeedTable) -> bool:
    if parent.key is None:
        return False
    mine = _KEY_CLASSES.get(child.classes[column])
    theirs = _KEY_CLASSES.get(parent.classes[parent.key])
    if mine is None or mine != theirs:
        return False
    # Integers point at integers: a DECIMAL child column of an INTEGER key is fine.
    return mine == "text" or child.classes[column] in (INT, DEC)


def _declared_fks(table: SeedTable, by_name: dict[str, SeedTable], notes: list[str]) -> None:
    for fk in table.raw.foreign_keys:
        where = f"table {table.name}: foreign key ({', '.join(fk.columns)}) -> {fk.ref_table}"
        parent = by_name.get(fk.ref_table.lower())
        column = table.find(fk.columns[0]) if len(fk.columns) == 1 else None
        if len(fk.columns) != 1 or len(fk.ref_columns) > 1:
            notes.append(f"{where}: composite foreign keys are not supported; dropped")
        elif parent is None or column is None:
            notes.append(f"{where}: table or column not kept; dropped")
        elif parent.key is None or (
            fk.ref_columns and parent.find(fk.ref_columns[0]) != parent.key
        ):
            notes.append(f"{where}: does not point at the parent's key; dropped")
        elif column == table.key:
            notes.append(f"{where}: the key is also a foreign key (1:1); link dropped")
        elif column in table.fks:
            notes.append(f"{where}: column already links elsewhere; dropped")
        elif not _compatible(table, column, parent):
            notes.append(f"{where}: types disagree; dropped")
        else:
            _link(table, column, parent)


def _joined_fk(a: SeedTable | None, a_col: str, b: SeedTable | None, b_col: str) -> None:
    """`a.x = b.key` in the example SQL: a.x links to b (and the other way round)."""
    if a is None or b is None:
        return
    for child, column, parent, target in ((a, a_col, b, b_col), (b, b_col, a, a_col)):
        name = child.find(column)
        if (
            name is not None
            and parent.key is not None
            and parent.key.lower() == target
            and name != child.key
            and name not in child.fks
            and _compatible(child, name, parent)
        ):
            _link(child, name, parent)
            return


def _convention_fks(table: SeedTable, tables: list[SeedTable]) -> None:
    for col in table.columns:
        name = col.name
        if name == table.key or name in table.fks or table.classes[name] not in (INT, TEXT):
            continue
        for parent in tables:
            if parent is table or parent.key is None:
                continue
            by_name = names_table(name, parent.name, exact=True)
            same_key = name.lower() == parent.key.lower() and parent.key.lower() != "id"
            if (by_name or same_key) and _compatible(table, name, parent):
                _link(table, name, parent)
                break


def _link(table: SeedTable, column: str, parent: SeedTable) -> None:
    assert parent.key is not None
    table.fks[column] = (parent.name, parent.key)
    if parent is table:
        table.nullable.add(column)  # the first row of a hierarchy has no parent


def _break_cycles(tables: list[SeedTable], notes: list[str]) -> None:
    by_name = {t.name: t for t in tables}
    while True:
        graph = {t.name: {p for p, _ in t.fks.values() if p != t.name} for t in tables}
        try:
            graphlib.TopologicalSorter(graph).prepare()
            return
        except graphlib.CycleError as exc:
            cycle: list[str] = exc.args[1]
        # cycle[0] is a parent of cycle[1]: drop cycle[1]'s links to it.
        child, parent = by_name[cycle[1]], cycle[0]
        for column, (ref, _) in list(child.fks.items()):
            if ref == parent:
                del child.fks[column]
                notes.append(
                    f"table {child.name}: foreign key {column} -> {parent} closes a cycle; dropped"
                )


def _junction_key(table: SeedTable, notes: list[str]) -> None:
    """A declared composite key made of foreign keys stays (as the junction's UNIQUE pair)."""
    if not table.composite:
        return
    parents = [table.fks.get(c, ("", ""))[0] for c in table.composite]
    if len(table.composite) >= 2 and all(p and p != table.name for p in parents):
        return
    notes.append(f"table {table.name}: composite key ({', '.join(table.composite)}) is not carried")
    table.composite = ()
