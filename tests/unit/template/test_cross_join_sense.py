"""A CROSS JOIN pairs the joined rows with a table a person would pair them with: a standalone
named entity that no key links to them (a product of linked tables is a join written wrong,
every unlinked pair a wrong answer). When a table set leaves no such partner, the builder
draws another set; a plan no set of the domain can hold is refused with its reason.

Before: 49 of 120 CROSS plans (seed 11) paired linked or event tables ("orders x suppliers",
"communities x post comments")."""

from __future__ import annotations

import random

import sqlglot
from sqlglot import exp

from proto.common import Complexity, JoinKind, PromptStyle, TaskType
from proto.sample import Blueprint
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.instance.schema_instance import build_schema
from shared.generation.template.schema.catalogue import domain_names, get_domain
from shared.generation.template.schema.join_paths import cross_partner, pairs_sensibly
from shared.generation.template.schema.variants import parse_schema_id


def test_a_partner_linked_to_the_joined_tables_is_refused() -> None:
    retail = get_domain("retail")
    # order_items references orders and products: orders x products is a join, not a pairing.
    assert not pairs_sensibly(retail, "products", ["orders"])
    assert not pairs_sensibly(retail, "orders", ["customers"])  # a direct key
    assert not pairs_sensibly(retail, "order_items", ["stores"])  # a junction names nothing
    assert not pairs_sensibly(retail, "orders", ["suppliers"])  # an event, not an entity
    counts = {t.name: 10 for t in retail.tables}
    everything = [t.name for t in retail.tables]
    assert cross_partner(retail, everything[:-1], counts, random.Random(0)) in (
        None,
        everything[-1],
    )


def _cross_blueprints(count: int, seed: int) -> list[Blueprint]:
    rng = random.Random(seed)
    names = domain_names()
    return [
        Blueprint(
            domain=rng.choice(names),
            task_type=rng.choice([TaskType.ANALYTICS, TaskType.RETRIEVAL]),
            complexity=rng.choice(list(Complexity)),
            prompt_style=rng.choice(list(PromptStyle)),
            num_tables=rng.choice([2, 2, 3, 3, 4]),
            join_kind=JoinKind.CROSS,
        )
        for _ in range(count)
    ]


def test_every_cross_join_pairs_rows_a_person_would_pair() -> None:
    engine, made, refused, standalone = TemplateEngine(), 0, 0, 0
    for i, bp in enumerate(_cross_blueprints(60, seed=3)):
        try:
            draft = engine.generate(bp, seed=i)
        except GenerationError as exc:
            refused += 1
            assert "a person would pair" in str(exc), str(exc)
            continue
        parsed = parse_schema_id(draft.schema_id)
        assert parsed is not None
        domain = build_schema(parsed[0], parsed[1], shape=parsed[2]).domain
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        for select in tree.find_all(exp.Select):
            joins = select.args.get("joins") or []
            crosses = [j for j in joins if (j.args.get("kind") or "").upper() == "CROSS"]
            for join in crosses:
                partner = join.this.name
                others = [t.name for t in select.find_all(exp.Table) if t.name != partner]
                # Strict attempts pair with a standalone entity, the lenient last ones with
                # any named table: never a linked one.
                assert pairs_sensibly(domain, partner, others, standalone=False), draft.sql
                standalone += pairs_sensibly(domain, partner, others)
                # The rows are pairings, and the question says so (not as if related).
                assert "pairing" in draft.question, draft.question
        made += 1
    # 93 of 120 such plans found a partner in a run of this test's draws (120, seed 11); the
    # rest are refused with their reason, not faked with a linked or event table.
    assert made >= 36 and refused <= 24, (made, refused)
    assert standalone >= made // 2, (standalone, made)
