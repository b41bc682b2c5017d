"""Free text (BIRD's posts.Body, users.AboutMe, comments.Text) is a kind of its own: shown, but
never a GROUP BY key nor compared for equality (seen reading records: Faker sentences as groups
and as `=` filters)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.generation.template.schema.schema_model import ValueKind
from shared.generation.template.seed.from_ddl import domain_from_ddl
from tests.unit.template.seed_data import bird_seeds
from tests.unit.template.seed_runs import seeded_blueprints


def _free_text(name: str) -> set[str]:
    seed = next(s for s in bird_seeds() if s.name == name)
    domain = domain_from_ddl(seed.ddl, name=f"seed_{name}", example_sql=seed.examples)
    return {
        c.name.lower() for t in domain.tables for c in t.columns if c.kind is ValueKind.FREE_TEXT
    }


def test_bodies_and_about_me_are_free_text_and_categories_are_not() -> None:
    free = _free_text("codebase_community")
    assert {"body", "aboutme", "text"} <= free
    assert not free & {"displayname", "location", "tags", "name", "title"}
    # A short closed list stays a category even where the name could read as prose.
    assert not _free_text("debit_card_specializing")


def test_no_draft_groups_by_or_filters_on_free_text() -> None:
    seed = next(s for s in bird_seeds() if s.name == "codebase_community")
    free = _free_text("codebase_community")
    engine = TemplateEngine()
    drafts = 0
    for i, blueprint in enumerate(seeded_blueprints(seed, 60, 17)):
        try:
            draft = engine.generate(blueprint, seed=i)
        except GenerationError:
            continue
        drafts += 1
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        for group in tree.find_all(exp.Group):
            keys = {c.name.lower() for c in group.find_all(exp.Column)}
            assert not keys & free, draft.sql
        for compare in tree.find_all(exp.EQ, exp.NEQ, exp.In):
            names = {c.name.lower() for c in compare.find_all(exp.Column)}
            literal = any(isinstance(n, exp.Literal) for n in compare.find_all(exp.Literal))
            assert not (names & free and literal), draft.sql
    assert drafts >= 40
