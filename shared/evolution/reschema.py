"""Expansion along the schema (SQL-Factory §4.3.2, "structurally similar but lexically and
semantically varied"): the same SQL skeleton over another column of the same kind, or a
single-table query over another table whose columns match the ones it uses by kind.

The skeleton (clauses, functions, operators, nesting) is kept node for node; only table and
column names change, and a literal compared with a renamed column is redrawn from the new
column's values (an old value would select nothing). The question is the parent's with each
renamed identifier's words and each redrawn literal replaced in place; a name or literal the
question does not spell gives no candidate (it could not be worded honestly).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from sqlglot import exp

from proto.sample import Scalar
from shared.evolution.build import literal
from shared.evolution.context import EvolveContext, Kind, QueryView, singular, words
from shared.evolution.model import Change, ChangeKind, Evolution, Operator

_COMPARED = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In)
# Kinds a column may be swapped within: keys stay keys, dates stay dates.
_SWAPPABLE = (Kind.NUMBER, Kind.DATE, Kind.TEXT)

ColumnRef = tuple[str, str]  # (table, column), lowercased


def _aliases(tree: exp.Expr) -> dict[str, str]:
    return {t.alias_or_name.lower(): t.name.lower() for t in tree.find_all(exp.Table)}


def resolve(node: exp.Column, tree: exp.Expr, ctx: EvolveContext) -> ColumnRef | None:
    """The (table, column) a column node reads; None when it is ambiguous or not a base column."""
    aliases = _aliases(tree)
    name = node.name.lower()
    if node.table:
        table = aliases.get(node.table.lower())
        return (table, name) if table is not None and name in ctx.columns(table) else None
    owners = {t for t in aliases.values() if name in ctx.columns(t)}
    return (owners.pop(), name) if len(owners) == 1 else None


def _used(tree: exp.Expr, ctx: EvolveContext) -> dict[ColumnRef, list[exp.Column]]:
    used: dict[ColumnRef, list[exp.Column]] = {}
    for node in tree.find_all(exp.Column):
        ref = resolve(node, tree, ctx)
        if ref is not None:
            used.setdefault(ref, []).append(node)
    return used


def _compared_literals(nodes: list[exp.Column]) -> list[exp.Literal]:
    found: list[exp.Literal] = []
    for node in nodes:
        owner = node.parent
        if isinstance(owner, _COMPARED) and owner.this is node:
            found += [n for n in owner.find_all(exp.Literal) if n.parent is not None]
    return found


def _same_kind(ctx: EvolveContext, old: ColumnRef, new: ColumnRef) -> bool:
    kind = ctx.kind(*old)
    if kind is not ctx.kind(*new):
        return False
    # A unique name read as a category (or the reverse) would make a different question.
    return kind is not Kind.TEXT or ctx.categorical(*old) == ctx.categorical(*new)


def _forms(noun: str) -> list[tuple[str, str]]:
    """(spoken form, kind) of a table name: plural and singular, longest first."""
    plural = words(noun)
    return [(plural, "plural"), (singular(plural), "singular")]


def _noun_as(form_kind: str, noun: str) -> str:
    plural = words(noun)
    return plural if form_kind == "plural" else singular(plural)


def _spoken_like(old: str, new: str) -> str:
    """The new column's words in the old one's shape: `words` leads `completed_on` with "date"
    ("date completed"), which after "planned start" in "planned start date" would read "date
    completed date"; without a lead in the old words, the new ones lose theirs too."""
    for lead in ("date ", "time "):
        if new.startswith(lead) and not old.startswith(lead):
            return new.removeprefix(lead)
    return new


def _redraw(
    nodes: list[exp.Column], old: ColumnRef, new: ColumnRef, ctx: EvolveContext, rng: random.Random
) -> list[tuple[Scalar, Scalar]] | None:
    """New values for the literals compared with a renamed column (replaced in the tree)."""
    literals = _compared_literals(nodes)
    if not literals:
        return []
    if ctx.kind(*new) is Kind.TEXT and not ctx.categorical(*new):
        return None
    values = ctx.values(*new)
    if old == new:  # a refreshed filter: other values than the ones it had
        had = {str(n.this) for n in literals}
        values = (
            [v for v in values if str(v) not in had and f"{v:.2f}" not in had]
            if all(not isinstance(v, str) for v in values)
            else [v for v in values if str(v) not in had]
        )
    if len(values) < len(literals):
        return None
    chosen = rng.sample(values, len(literals))
    # A range keeps its order: BETWEEN low AND high stays low ≤ high.
    chosen.sort(key=lambda v: (isinstance(v, str), v if not isinstance(v, str) else 0, str(v)))
    swaps = []
    for node, value in zip(literals, chosen, strict=True):
        current: Scalar = node.this if node.is_string else float(node.this)
        node.replace(literal(value))
        swaps.append((current, value))
    return swaps


def _apply(
    view: QueryView,
    mapping: dict[ColumnRef, ColumnRef],
    table: tuple[str, str] | None,
    ctx: EvolveContext,
    rng: random.Random,
) -> Evolution | None:
    """The skeleton with `mapping`'s columns (and `table`) renamed; every other filter on a
    literal gets another value too, so the variant differs in more than one word (a one-word
    change reads as a near-duplicate question to the dedup service, rightly)."""
    tree = view.tree.copy()
    used = _used(tree, ctx)
    swaps: list[tuple[Scalar, Scalar]] = []
    for ref, nodes in used.items():
        if ref not in mapping and ctx.kind(*ref) is not Kind.KEY:
            swaps += _redraw(nodes, ref, ref, ctx, rng) or []
    renames: dict[str, str] = {}
    idents: dict[str, str] = {}
    nouns: dict[str, str] = {}
    for old, new in mapping.items():
        nodes = used.get(old, [])
        redrawn = _redraw(nodes, old, new, ctx, rng)
        if redrawn is None:
            return None
        swaps += redrawn
        for node in nodes:
            node.set("this", exp.to_identifier(new[1]))
        if old[1] != new[1]:
            if any(ref[1] == old[1] and ref not in mapping for ref in used):
                # Another table's column of the same name stays: the question's words for it
                # cannot be told apart ("students with full name" vs the instructor's).
                return None
            renames[words(old[1])] = _spoken_like(words(old[1]), words(new[1]))
            idents[old[1]] = new[1]
    if table is not None:
        for source in tree.find_all(exp.Table):
            if source.name.lower() == table[0]:
                source.set("this", exp.to_identifier(table[1]))
        for spoken, form in _forms(table[0]):
            nouns.setdefault(spoken, _noun_as(form, table[1]))
        idents[table[0]] = table[1]
    for alias in tree.find_all(exp.Alias):
        name = alias.alias
        for old, new in mapping.items():
            if old[1] in name and old[1] != new[1]:
                alias.set("alias", exp.to_identifier(name.replace(old[1], new[1])))
    change = Change(
        ChangeKind.SWAP_SCHEMA,
        renames=tuple(renames.items()),
        nouns=tuple(nouns.items()),
        idents=tuple(idents.items()),
        swaps=tuple(swaps),
        noun=words(table[1]) if table else "",
    )
    return Evolution(tree.sql(dialect="sqlite"), Operator.OP, change)


def _others(
    ref: ColumnRef, used: dict[ColumnRef, list[exp.Column]], ctx: EvolveContext, rng: random.Random
) -> list[str]:
    table, name = ref
    found = [
        c
        for c in ctx.columns_of(table, ctx.kind(table, name))
        if (table, c) not in used and _same_kind(ctx, ref, (table, c))
    ]
    rng.shuffle(found)
    return found


def propose_column_swaps(
    view: QueryView, ctx: EvolveContext, rng: random.Random
) -> Iterator[Evolution]:
    """Columns the query uses replaced by unused columns of their table of the same kind."""
    used = _used(view.tree, ctx)
    refs = [r for r in used if ctx.kind(*r) in _SWAPPABLE]
    rng.shuffle(refs)
    # Two columns at once first: the farther variant, when the query has two to swap.
    pairs = [(a, b) for i, a in enumerate(refs) for b in refs[i + 1 :]]
    for first, second in pairs[:3]:
        one, two = _others(first, used, ctx, rng), _others(second, used, ctx, rng)
        options = [(x, y) for x in one[:2] for y in two[:2] if (first[0], x) != (second[0], y)]
        for x, y in options[:2]:
            mapping = {first: (first[0], x), second: (second[0], y)}
            found = _apply(view, mapping, None, ctx, rng)
            if found is not None:
                yield found
    for table, name in refs:
        others = [
            c
            for c in ctx.columns_of(table, ctx.kind(table, name))
            if (table, c) not in used and _same_kind(ctx, (table, name), (table, c))
        ]
        rng.shuffle(others)
        for other in others[:2]:
            found = _apply(view, {(table, name): (table, other)}, None, ctx, rng)
            if found is not None:
                yield found


def _match_columns(
    refs: list[ColumnRef], target: str, ctx: EvolveContext, rng: random.Random
) -> dict[ColumnRef, ColumnRef] | None:
    """Each used column of the old table to a distinct column of `target` of the same kind
    (the same name first: `id` stays `id`)."""
    mapping: dict[ColumnRef, ColumnRef] = {}
    taken: set[str] = set()
    for ref in sorted(refs, key=lambda r: ctx.kind(*r) is Kind.KEY, reverse=True):
        kind = ctx.kind(*ref)
        pool = [c for c in ctx.columns_of(target, kind) if c not in taken]
        pool = [c for c in pool if kind is Kind.KEY or _same_kind(ctx, ref, (target, c))]
        if not pool:
            return None
        rng.shuffle(pool)
        chosen = ref[1] if ref[1] in pool else pool[0]
        if kind is Kind.KEY and ref[1] == "id" and "id" not in pool:
            return None  # a key read as the row's identity has no stand-in
        taken.add(chosen)
        mapping[ref] = (target, chosen)
    return mapping


def propose_table_swaps(
    view: QueryView, ctx: EvolveContext, rng: random.Random
) -> Iterator[Evolution]:
    """A single-table query on another table of the schema with matching column kinds."""
    tables = view.tables
    if len(tables) != 1:
        yield from propose_partner_swaps(view, ctx, rng)
        return
    (table,) = tables
    used = _used(view.tree, ctx)
    if any(r[0] != table for r in used) or any(n.name == "*" for n in view.tree.find_all(exp.Star)):
        return
    targets = sorted(t for t in ctx.info.facts.columns if t != table)
    rng.shuffle(targets)
    for target in targets:
        mapping = _match_columns(list(used), target, ctx, rng)
        if mapping is None:
            continue
        found = _apply(view, mapping, (table, target), ctx, rng)
        if found is not None:
            yield found


def _partners(view: QueryView, ctx: EvolveContext) -> list[tuple[ColumnRef, str, str]]:
    """(the joining key column, the joined parent, its key) of each JOIN `x.fk = parent.key`
    along a foreign key whose parent is used nowhere else in the query."""
    keys = {tuple(fk[:4]) for fk in ctx.info.facts.foreign_keys}
    found = []
    for join in view.tree.args.get("joins") or []:
        on, table = join.args.get("on"), join.this
        if not isinstance(on, exp.EQ) or not isinstance(table, exp.Table):
            continue
        if not (isinstance(on.this, exp.Column) and isinstance(on.expression, exp.Column)):
            continue
        a, b = resolve(on.this, view.tree, ctx), resolve(on.expression, view.tree, ctx)
        if a is None or b is None:
            continue
        name = table.name.lower()
        alone = sum(t.name.lower() == name for t in view.tree.find_all(exp.Table)) == 1
        for child, parent in ((a, b), (b, a)):
            if (*child, *parent) in keys and parent[0] == name and alone:
                found.append((child, parent[0], parent[1]))
    return found


def propose_partner_swaps(
    view: QueryView, ctx: EvolveContext, rng: random.Random
) -> Iterator[Evolution]:
    """A joined parent replaced by another parent of the same child along another foreign key
    (orders joined to customers → orders joined to stores), the parent's used columns matched
    by kind: the skeleton holds, the query reads another table."""
    used = _used(view.tree, ctx)
    tables = view.tables
    for (child, fk), parent, key in _partners(view, ctx):
        others = [
            (c, rt, rc)
            for c, rt, rc in ctx.parents_of(child)
            if rt not in tables and c != fk and rc == key
        ]
        rng.shuffle(others)
        for column, target, _ in others[:2]:
            refs = [r for r in used if r[0] == parent]
            mapping = _match_columns(refs, target, ctx, rng)
            if mapping is None:
                continue
            mapping[(child, fk)] = (child, column)
            found = _apply(view, mapping, (parent, target), ctx, rng)
            if found is not None:
                yield found


__all__ = ["propose_column_swaps", "propose_partner_swaps", "propose_table_swaps", "resolve"]
