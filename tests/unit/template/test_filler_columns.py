"""Filler columns (record status, creation date: added only to reach the spec's
columns_per_table) are flagged in the schema model and read by the query builder only when a
table has nothing else of the kind: counted over many drafts of the default spec.

Before the flag, 67 of 294 default-spec SELECT/UPDATE/DELETE drafts (22.8%) read one: "the
record status of route stops", "group harvests by record status", a running total "by
department creation date"."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from proto.sample import Blueprint, Draft
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.schema_instance import build_schema
from shared.generation.template.schema.catalogue import get_domain
from shared.generation.template.schema.schema_model import Domain
from shared.generation.template.schema.variants import SchemaShape, derive_domain, parse_schema_id
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec


def _filler(domain: Domain) -> set[tuple[str, str]]:
    return {(t.name, c.name) for t in domain.tables for c in t.columns if c.filler}


def test_only_the_columns_added_for_the_count_are_filler() -> None:
    catalogue = get_domain("retail")
    wide = derive_domain(catalogue, 0, SchemaShape(columns_per_table=12))
    own = {(t.name, c.name) for t in catalogue.tables for c in t.columns}
    added = {(t.name, c.name) for t in wide.tables for c in t.columns} - own
    assert added, "a 12-column shape adds bookkeeping columns to retail's tables"
    assert _filler(wide) == added
    assert not _filler(catalogue)


def _reads(draft: Draft, filler: set[tuple[str, str]]) -> set[tuple[str, str]]:
    tree = sqlglot.parse_one(draft.sql, read="sqlite")
    if isinstance(tree, exp.Insert):
        return set()  # a new row or a copy writes every column, filler included
    alias = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
    return {(alias.get(c.table, c.table), c.name) for c in tree.find_all(exp.Column)} & filler


def _drafts(count: int) -> list[tuple[Blueprint, Draft]]:
    engine, out = TemplateEngine(), []
    for i, bp in enumerate(BlueprintSampler(default_spec(), seed=5).draw_many(count)):
        try:
            out.append((bp, engine.generate(bp, seed=i)))
        except GenerationError:
            continue
    return out


def test_drafts_read_filler_columns_only_as_a_last_resort() -> None:
    checked = with_filler = reading = 0
    seen: list[str] = []
    for _, draft in _drafts(200):
        parsed = parse_schema_id(draft.schema_id)
        assert parsed is not None, draft.schema_id
        filler = _filler(build_schema(parsed[0], parsed[1], shape=parsed[2]).domain)
        if not filler or draft.sql.lstrip().upper().startswith("INSERT"):
            continue
        with_filler += 1
        checked += 1
        hit = _reads(draft, filler)
        if hit:
            reading += 1
            seen.append(f"{sorted(hit)}: {draft.sql}")
    # The default spec's columns_per_table adds filler to most schemas: the count means
    # something only if many drafts could have read one.
    assert with_filler >= 80, with_filler
    # 1 of 294 after the change (a departments table whose only unpinned filter column was
    # its creation date); at most 2% allows for the sampler's draws.
    assert reading <= max(1, checked // 50), "\n".join(seen)
