"""Render plans, drafts, feedback and validator facts as prompt text.

Blocks are tagged (`<blueprint>`, `<sql>`, ...) so the model can refer to them and tests (and
the scripted fake model) can find them; the blueprint is also given as JSON, exactly as planned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from proto.common import SeedMode
from proto.sample import Blueprint, Draft, Feedback, TableRows, Validation

MAX_ROWS_SHOWN = 30


def tag(name: str, body: str) -> str:
    return f"<{name}>\n{body.strip()}\n</{name}>"


def render_blueprint(blueprint: Blueprint, variation: int | None, avoid: list[str]) -> str:
    plan = blueprint.model_dump(mode="json", exclude_defaults=False)
    lines = [
        f"domain: {blueprint.domain}",
        f"difficulty: {blueprint.complexity.value}",
        f"task type: {blueprint.task_type.value}",
        f"question style: {blueprint.prompt_style.value}",
        f"tables read by the query: {blueprint.num_tables}",
        f"join kind: {blueprint.join_kind.value if blueprint.join_kind else 'none'}",
        f"features: {', '.join(f.value for f in blueprint.features) or 'none beyond a select'}",
        f"complexity label: {blueprint.sql_complexity}",
    ]
    extra = {k: v for k, v in blueprint.properties.items() if not k.startswith("uses_")}
    for key in ("domain", "complexity", "task_type", "prompt_style", "num_tables", "join_kind"):
        extra.pop(key, None)
    lines += [f"{key.replace('_', ' ')}: {value}" for key, value in sorted(extra.items())]
    if blueprint.seed_schema:
        lines.append("the schema is given in <seed_schema>: write on it exactly as it is")
    if blueprint.seed_sql and blueprint.seed_mode is SeedMode.EXPAND:
        lines.append(
            "<seed_sql> is a query this schema's users run: write a NEW query for this plan on "
            "the same schema, in the same spirit, not a copy or a light rewording of it"
        )
    elif blueprint.seed_sql:
        lines.append("a seed query is given below: keep its shape and intent")
    parts = [tag("blueprint", json.dumps(plan, sort_keys=True)), tag("plan", "\n".join(lines))]
    if blueprint.seed_schema:
        parts.append(tag("seed_schema", blueprint.seed_schema))
    if blueprint.seed_sql:
        parts.append(tag("seed_sql", blueprint.seed_sql))
    if avoid:
        parts.append(
            tag(
                "avoid_settings",
                "Already frequent in this dataset, do not reuse: " + "; ".join(avoid),
            )
        )
    if variation is not None:
        # Varies the model's choices between samples with the same plan (and marks the sample).
        parts.append(tag("variation", str(variation)))
    return "\n".join(parts)


def render_guidelines(guidelines: Sequence[str]) -> str:
    """The run's reviewer guidelines (Turing's HITL loop), numbered, as the reviewers wrote them."""
    lines = [f"{n}. {text.strip()}" for n, text in enumerate(guidelines, start=1) if text.strip()]
    return tag("reviewer_guidelines", "\n".join(lines)) if lines else ""


def render_rows(rows: list[TableRows], limit: int = MAX_ROWS_SHOWN) -> str:
    out: list[str] = []
    for table in rows:
        out.append(f"{table.table} ({', '.join(table.columns)}):")
        for row in table.values[:limit]:
            out.append("  " + json.dumps(row))
        if len(table.values) > limit:
            out.append(f"  ... {len(table.values) - limit} more rows")
    return "\n".join(out)


def render_draft(draft: Draft, *, rows_limit: int = MAX_ROWS_SHOWN) -> str:
    return "\n".join(
        [
            tag("schema", draft.schema_ddl),
            tag("rows", render_rows(draft.rows, rows_limit)),
            tag("sql", draft.sql),
            tag("question", draft.question),
            tag("explanation", draft.explanation),
        ]
    )


def render_feedback(feedback: list[Feedback]) -> str:
    lines = []
    for item in feedback:
        where = f" on {item.engine.value}" if item.engine else ""
        lines.append(f"- {item.error_class.value}{where}: {item.message}")
    return tag("feedback", "\n".join(lines) or "- the sample failed without a recorded reason")


def render_facts(validation: Validation | None) -> str:
    """The validator's programmatic measurements, given to the judge as facts."""
    if validation is None:
        return tag("facts", "no execution facts were recorded")
    lines = [f"validation level: {validation.level.value}, policy: {validation.policy.value}"]
    for check in validation.checks:
        status = "ok" if check.ok else f"FAILED ({check.error_class}: {check.message})"
        rows = f", {check.row_count} rows" if check.row_count is not None else ""
        lines.append(f"{check.engine.value}: {status}{rows}")
    if validation.non_empty is not None:
        lines.append(f"non-empty result: {validation.non_empty}")
    if validation.results_agree is not None:
        lines.append(f"engines return the same rows: {validation.results_agree}")
    if validation.measured:
        measured = ", ".join(f"{k}={v}" for k, v in sorted(validation.measured.items()))
        lines.append(f"measured SQL features: {measured}")
    for diff in validation.conformance:
        lines.append(f"planned {diff.property}={diff.planned} but measured {diff.measured}")
    if validation.sense is not None:
        # Sense findings are facts too (docs/sense.md): warnings the draft keeps.
        for finding in validation.sense.findings:
            lines.append(f"sense {finding.severity.value} {finding.check.value}: {finding.message}")
        if not validation.sense.findings:
            lines.append("sense checks: no finding")
    return tag("facts", "\n".join(lines))


def render_review_request(blueprint: Blueprint, draft: Draft, validation: Validation | None) -> str:
    """The judge's prompt: everything but the sample's SQL, which it must not see (it writes its
    own, and the two are compared by execution)."""
    return "\n".join(
        [
            render_blueprint(blueprint, None, []),
            tag("schema", draft.schema_ddl),
            tag("rows", render_rows(draft.rows, 8)),
            tag("question", draft.question),
            tag("explanation", draft.explanation),
            render_facts(validation),
            "Review this sample as the independent judge: write your own SQL for the question, "
            "then check it. Call submit_review.",
        ]
    )
