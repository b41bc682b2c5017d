"""Distinct counts read a column with several values: never one a filter pins (`= 'a'`,
`IS NULL`: "the number of distinct giving tiers of givers with no giving tier" is 0), never a
bookkeeping column (record status: 1 in every group), and a plan
that asks for one stays buildable when its table has no category (it counts its links)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from proto.common import SqlFeature, TaskType
from shared.errors import GenerationError
from shared.generation.template.engine import TemplateEngine
from shared.spec.sampler import BlueprintSampler
from shared.spec.validate import default_spec

FILLER = {"record_status", "created_on", "updated_on", "external_ref"}


def _pinned(where: exp.Expression | None) -> set[str]:
    out: set[str] = set()
    if where is None:
        return out
    for part in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        pins = isinstance(part, exp.Is) or (
            isinstance(part, exp.EQ) and isinstance(part.expression, exp.Literal)
        )
        if pins and isinstance(part.this, exp.Column):
            out.add(part.this.sql())
    return out


def test_distinct_counts_read_an_unpinned_column() -> None:
    engine = TemplateEngine()
    blueprints = [
        b
        for b in BlueprintSampler(default_spec(), seed=17).draw_many(900)
        if b.task_type is not TaskType.MANIPULATION
        and SqlFeature.DISTINCT in b.features
        and {SqlFeature.GROUP_BY, SqlFeature.AGGREGATE} & set(b.features)
    ][:50]
    counted = failed = 0
    for i, blueprint in enumerate(blueprints):
        try:
            draft = engine.generate(blueprint, seed=i)
        except GenerationError:
            failed += 1
            continue
        tree = sqlglot.parse_one(draft.sql, read="sqlite")
        for select in tree.find_all(exp.Select):
            pinned = _pinned(select.args.get("where"))
            for count in select.find_all(exp.Count):
                if isinstance(count.this, exp.Distinct):
                    cols = [c.sql() for c in count.this.expressions]
                    assert not set(cols) & pinned, (draft.question, draft.sql)
                    # A bookkeeping column has one value in nearly every group: "the number
                    # of distinct record statuses" is 1 throughout.
                    names = {c.rsplit(".", 1)[-1] for c in cols}
                    assert not names & FILLER, (draft.question, draft.sql)
                    counted += 1
    assert counted >= 10
    assert failed <= 0.1 * len(blueprints)
