"""A scripted "model" for the fake Messages API: realistic answers to sqlsynth's own prompts.

It reads what a real model would read — the forced tool, the `<blueprint>` and `<variation>`
blocks, the feedback of a repair — and answers every section with content that really runs:
a catalogue domain's portable DDL and rows (shared.generation.template), a join/aggregate query
over them, and a question in the planned style. Answers are deterministic per variation.
Knobs make it imperfect on purpose: `wrong_sql_rate` (a misspelt column in the first SQL, fixed
by the agent tool or by a repair), `use_tools_rate` (checks its SQL with run_query first),
`review_fail_rate` (the judge objects), `drift_rate` (the SQL computes an average where the
question asks for a total: it runs and returns rows, only a judge reading the question finds it),
`truncated_rate` / `malformed_rate` (the first answer of a section is cut off at max_tokens /
breaks its schema; asked again, the model answers well — the rates are per section of a sample,
first answers only, so they are fixed error rates that a retry can recover from).
As a judge it reads the question and the schema (never the sample's SQL, which it is not shown)
and writes its own SQL for it (`read_question`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from proto.sample import Blueprint
from shared.generation.template.instance.schema_instance import SchemaInstance, build_schema
from shared.generation.template.schema.catalogue import domain_names, get_domain
from shared.generation.template.schema.schema_model import Column, Table, ValueKind
from tests.fakes.llm.types import ModelTurn

NUMERIC = (ValueKind.MONEY, ValueKind.MEASURE, ValueKind.QUANTITY)
STYLE_TEMPLATES = {
    "direct_question": "Which {parents} have the highest total {measure} across their {children}, "
    "and how many {children} does each have?",
    "imperative": "List the five {parents} with the largest total {measure} of their {children}, "
    "together with the number of {children}.",
    "conversational": "Could you show me which {parents} account for the most {measure} from "
    "their {children}, and how many {children} each one has?",
    "terse_keyword": "top {parents} by total {measure} {children} count",
    "complex_multi_part": "Find the five {parents} with the largest total {measure} and also "
    "show how many {children} each of them has.",
    "informal_ambiguous": "which {parents} are doing best on {measure} lately",
}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if block.get("type") == "text":
            parts.append(block["text"])
        elif block.get("type") == "tool_result":
            parts.append(str(block.get("content", "")))
    return "\n".join(parts)


def _between(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}>\n(.*?)\n</{name}>", text, re.S)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Ctx:
    """What the scripted model reads: the first and last user texts, and whether it ran SQL."""

    first: str
    last: str
    ran_query: bool


@dataclass(frozen=True)
class Plan:
    """What the scripted model decided for one sample."""

    blueprint: Blueprint
    variation: int
    instance: SchemaInstance
    child: Table
    parent: Table
    fk: str
    measure: Column
    sql: str
    wrong_sql: str


def _catalogue_name(domain: str) -> str:
    names = domain_names()
    if domain in names:
        return domain
    digest = int(hashlib.sha256(domain.encode()).hexdigest(), 16)
    return names[digest % len(names)]


def candidate_pairs(domain_name: str) -> list[tuple[Table, str, Table, Column]]:
    """(child, fk column, parent, numeric measure of the child) the scripted query can use."""
    domain = get_domain(domain_name)
    return [
        (t, fk.column, domain.table(fk.ref_table), c)
        for t in domain.tables
        for fk in t.foreign_keys
        for c in t.columns
        if c.kind in NUMERIC
        and fk.ref_table != t.name
        and domain.table(fk.ref_table).label_column is not None
    ]


def write_sql(blueprint: Blueprint, parent: Table, child: Table, fk: str, measure: Column) -> str:
    label = parent.label_column
    join = "LEFT JOIN" if blueprint.join_kind and blueprint.join_kind.value == "left" else "JOIN"
    return (
        f"SELECT p.{label}, COUNT(c.id) AS {child.name}_count, "
        # COALESCE: a nullable measure gives NULL sums, which engines order differently.
        f"ROUND(COALESCE(SUM(c.{measure.name}), 0), 2) AS total_{measure.name} "
        f"FROM {parent.name} p {join} {child.name} c ON c.{fk} = p.id "
        f"GROUP BY p.id, p.{label} ORDER BY total_{measure.name} DESC, p.id LIMIT 5"
    )


def read_question(blueprint: Blueprint, question: str, ddl: str) -> str | None:
    """The judge's own SQL: which parents, children and measure the question names, among the
    schema's tables; None if it cannot tell."""
    present = {name.lower() for name in re.findall(r"CREATE TABLE (\w+)", ddl, re.I)}
    text = question.lower()
    named = [
        (child.plural.lower() in text, len(measure.label), child, fk, parent, measure)
        for child, fk, parent, measure in candidate_pairs(_catalogue_name(blueprint.domain))
        if {child.name, parent.name} <= present
        and parent.plural.lower() in text
        and measure.label.lower() in text
    ]
    if not named:
        return None
    *_, child, fk, parent, measure = max(named, key=lambda n: (n[0], n[1]))
    return write_sql(blueprint, parent, child, fk, measure)


def make_plan(blueprint: Blueprint, variation: int) -> Plan:
    rng = random.Random(variation)
    rows = int(blueprint.properties.get("rows_per_table") or 6)
    # Variant 0 keeps every catalogue table and the `id` keys this model's SQL is written for
    # (other variants drop leaf tables and rename keys to `<noun>_id`).
    instance = build_schema(_catalogue_name(blueprint.domain), 0, max(4, min(rows, 10)))
    pairs = candidate_pairs(instance.domain.name)
    child, fk, parent, measure = pairs[rng.randrange(len(pairs))]
    sql = write_sql(blueprint, parent, child, fk, measure)
    wrong = sql.replace(f"SUM(c.{measure.name})", f"SUM(c.{measure.name}_amt)")
    return Plan(
        blueprint=blueprint,
        variation=variation,
        instance=instance,
        child=child,
        parent=parent,
        fk=fk,
        measure=measure,
        sql=sql,
        wrong_sql=wrong,
    )


class ScriptedModel:
    """Callable responder for `FakeAnthropic`."""

    def __init__(
        self,
        *,
        wrong_sql_rate: float = 0.0,
        use_tools_rate: float = 0.5,
        review_fail_rate: float = 0.0,
        drift_rate: float = 0.0,
        truncated_rate: float = 0.0,
        malformed_rate: float = 0.0,
        evolve_refusal_rate: float = 0.0,
    ) -> None:
        self.wrong_sql_rate = wrong_sql_rate
        self.use_tools_rate = use_tools_rate
        self.review_fail_rate = review_fail_rate
        self.drift_rate = drift_rate
        self.truncated_rate = truncated_rate
        self.malformed_rate = malformed_rate
        self._answered: set[str] = set()  # (sample, section) keys answered once already
        self._lock = threading.Lock()
        self.broken = {"truncated": 0, "malformed": 0}
        self.evolve_refusal_rate = evolve_refusal_rate
        # Every question it wrote for an evolved SQL, and every refusal (tests find them).
        self.evolved_questions: list[str] = []
        self.refused = 0
        self.refused_by: Counter[str] = Counter()  # refusals per forced tool

    def __call__(self, body: dict[str, Any]) -> ModelTurn:
        messages = body["messages"]
        first = _text(messages[0]["content"])
        last = _text(messages[-1]["content"])
        choice = body.get("tool_choice") or {"type": "auto"}
        if choice.get("name") in EVOLVE_ANSWERS:
            return self._evolution_turn(choice["name"], first)
        blueprint_json = _between(first, "blueprint")
        if blueprint_json is None:
            return ModelTurn([{"type": "text", "text": "I need a blueprint."}])
        blueprint = Blueprint.model_validate_json(blueprint_json)
        variation = int(_between(first, "variation") or 0)
        plan = make_plan(blueprint, variation)
        ran = (
            any(
                block.get("name") == "run_query"
                for m in messages
                if m["role"] == "assistant"
                for block in m["content"]
                if isinstance(block, dict)
            )
            or "Checked on the sample's data" in last
        )  # the batch fix round showed the error
        ctx = Ctx(first, last, ran)
        name = choice.get("name") if choice.get("type") == "tool" else None
        if name is None:
            name = self._agent_step(plan, ctx)
            if name.startswith("{"):
                return ModelTurn([json.loads(name)], "tool_use")
        return self._maybe_broken(self._submit(name, plan, ctx), first)

    def _maybe_broken(self, block: dict[str, Any], first: str) -> ModelTurn:
        """The first answer of a section, broken at the configured rates (see the docstring)."""
        key = hashlib.sha256(f"{block['name']}:{first}".encode()).hexdigest()
        with self._lock:
            seen = key in self._answered
            self._answered.add(key)
        if not seen and self._chance(key, "truncated", self.truncated_rate):
            self.broken["truncated"] += 1
            # What the API returns when output stops inside a tool call: the input is cut.
            return ModelTurn([{**block, "input": {}}], "max_tokens")
        if not seen and self._chance(key, "malformed", self.malformed_rate):
            self.broken["malformed"] += 1
            broken = dict(block["input"])
            broken.pop(sorted(broken)[0], None)
            broken["unexpected_field"] = "???"
            return ModelTurn([{**block, "input": broken}], "tool_use")
        return ModelTurn([block], "tool_use")

    def _chance(self, plan: Plan | str, salt: str, rate: float) -> bool:
        key = plan if isinstance(plan, str) else str(plan.variation)
        digest = hashlib.sha256(f"{key}:{salt}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < rate

    def _agent_step(self, plan: Plan, ctx: Ctx) -> str:
        """With tool_choice any: maybe run the query first; return a tool name or a call."""
        if "submit_repair" in ctx.last or "<feedback>" in ctx.first:
            return "submit_repair"
        if not ctx.ran_query and self._chance(plan, "tools", self.use_tools_rate):
            sql = self._written_sql(plan, wrong=self._chance(plan, "wrong", self.wrong_sql_rate))
            call = {"type": "tool_use", "name": "run_query", "input": {"sql": sql}}
            return json.dumps(call)
        return "submit_query"

    def _submit(self, name: str, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        payload: dict[str, Any] = getattr(self, f"_{name.removeprefix('submit_')}")(plan, ctx)
        return {"type": "tool_use", "name": name, "input": payload}

    def _written_sql(self, plan: Plan, *, wrong: bool) -> str:
        sql = plan.wrong_sql if wrong else plan.sql
        if self._chance(plan, "drift", self.drift_rate):
            # Runs and returns rows, but averages where the question asks for a total.
            sql = sql.replace("COALESCE(SUM(", "COALESCE(AVG(")
        return sql

    def _design(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        domain = plan.instance.domain
        seeded = _between(ctx.first, "seed_schema") is not None
        return {
            "setting": f"{domain.description} (variation {plan.variation % 97})",
            "tables": [
                {
                    "name": t.name,
                    "purpose": f"one row per {t.noun}",
                    "key_columns": [c.name for c in t.columns[:4]],
                }
                for t in domain.tables
            ],
            "relationships": [
                f"{t.name}.{fk.column} -> {fk.ref_table}.{fk.ref_column}"
                for t in domain.tables
                for fk in t.foreign_keys
            ],
            "intent": f"rank {plan.parent.plural} by the total {plan.measure.label} of their "
            f"{plan.child.plural}",
            "sql_plan": f"join {plan.child.name} to {plan.parent.name}, group by the "
            f"{plan.parent.noun}, count and sum, order by the sum, keep five",
            "ddl": None if seeded else plan.instance.ddl,
            "rows": [r.model_dump() for r in plan.instance.rows],
        }

    def _rows(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        return {"tables": [r.model_dump() for r in plan.instance.rows]}

    def _query(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        seed_sql = _between(ctx.first, "seed_sql")
        kept = seed_sql is not None and "NEW query" not in ctx.first
        # Checked with run_query first: an error was seen and fixed, or the SQL was right.
        wrong = not ctx.ran_query and self._chance(plan, "wrong", self.wrong_sql_rate)
        words = self._question(plan, ctx) | self._explanation(plan, ctx)
        return {
            "reasoning": f"join {plan.child.name} to {plan.parent.name} on {plan.fk}, "
            "aggregate per parent, order and limit",
            "sql": seed_sql if kept and seed_sql else self._written_sql(plan, wrong=wrong),
            "added_rows": None,
            **words,
        }

    def _words(self, plan: Plan) -> dict[str, str]:
        return {
            "parents": plan.parent.plural,
            "children": plan.child.plural,
            "measure": plan.measure.label,
        }

    def _question(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        style = plan.blueprint.prompt_style.value
        return {"question": STYLE_TEMPLATES[style].format(**self._words(plan))}

    def _explanation(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        w = self._words(plan)
        return {
            "explanation": (
                f"The query joins {plan.child.name} to {plan.parent.name} on {plan.fk}, groups the "
                f"rows by {plan.parent.noun}, counts the {w['children']} and sums their "
                f"{w['measure']} for each one, then orders by that total (highest first, ties by "
                f"id) and keeps the first five. 'Doing best' and similar words are read as the "
                f"largest total {w['measure']}."
            )
        }

    def _repair(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        edit: dict[str, Any] = {
            "ddl": None,
            "rows": None,
            "sql": None,
            "question": None,
            "explanation": None,
        }
        if "review_failed" in ctx.first and "independent SQL" not in ctx.first:
            edit["explanation"] = (_between(ctx.first, "explanation") or "") + (
                " Only the five largest totals are returned."
            )
            return {"diagnosis": "the explanation did not mention the limit", **edit}
        # The minimal edit: undo the misspelt column (and the average the judge's reading of
        # the question did not match) in the SQL as given.
        given = _between(ctx.first, "sql") or plan.sql
        edit["sql"] = re.sub(r"(\w+)_amt\)", r"\1)", given).replace("AVG(", "SUM(")
        return {
            "diagnosis": "the query referenced a column that does not exist; use "
            f"{plan.measure.name}",
            **edit,
        }

    def _review(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        question = _between(ctx.first, "question") or ""
        own_sql = read_question(plan.blueprint, question, _between(ctx.first, "schema") or "")
        # Keyed on the text it judges: a repaired explanation is judged afresh.
        judged = question + (_between(ctx.first, "explanation") or "")
        failed = "FAILED" in ctx.first or self._chance(judged, "review", self.review_fail_rate)
        reasons = ["the explanation does not say that only five rows are kept"] if failed else []
        return {
            "reasoning": "Read the question against the schema and wrote the query it asks for, "
            "then compared the explanation and the execution facts with it.",
            "sql": own_sql,
            "verdict": "fail" if failed else "pass",
            "reasons": reasons,
        }

    def _back_translation(self, plan: Plan, ctx: Ctx) -> dict[str, Any]:
        sql = _between(ctx.first, "sql") or ""
        tables = sorted(set(re.findall(r"(?:FROM|JOIN)\s+(\w+)", sql, re.I)))
        return {
            "question": f"What does the report over {', '.join(tables) or 'the data'} show "
            "for each group, largest first?",
            "explanation": f"The query reads {', '.join(tables)} and returns the grouped "
            "totals in descending order.",
        }

    def _evolution_turn(self, name: str, first: str) -> ModelTurn:
        """The evolution prompts (shared.generation.claude.evolve_prompts): a question for an
        evolved SQL, or the strategy model's six scores; refused at `evolve_refusal_rate`."""
        if self._chance(first, "evolve_refusal", self.evolve_refusal_rate):
            with self._lock:
                self.refused += 1
                self.refused_by[name] += 1
            text = "I can't help with rewriting this question."
            return ModelTurn([{"type": "text", "text": text}], "refusal")
        payload = EVOLVE_ANSWERS[name](first)
        if name == "submit_evolved_question":
            with self._lock:
                self.evolved_questions.append(payload["question"])
        block = {"type": "tool_use", "name": name, "input": payload}
        return self._maybe_broken(block, first)


def _change_words(facts: dict[str, str]) -> str:
    """The change, said from the facts the prompt gives (kind, label, op, values, word)."""
    label = facts.get("label") or facts.get("noun") or "value"
    values = [v.strip().strip("'\"") for v in facts.get("values", "").split(",") if v.strip()]
    ops = {"gt": "above", "lt": "below", "ge": "at least", "le": "at most", "ne": "other than"}
    kind = facts.get("kind", "")
    if kind in {"add_metric", "add_rank"}:
        return f"and also give the {facts.get('word') or 'rank by'} {label}"
    if kind == "exists_child":
        lacking = "no" if facts.get("negated") else "at least one"
        return f"limited to {facts.get('noun', 'rows')} with {lacking} {label}"
    if kind == "add_band" and len(values) == 3:
        return f"with a {label} band ({values[1]!r} from {values[0]} on, else {values[2]!r})"
    if kind == "add_having" and values:
        return f"keeping only groups of at least {values[0]} {facts.get('noun', 'rows')}"
    if kind in {"above_average", "cte_above_average"}:
        return f"only where the {label} is {ops.get(facts.get('op', ''), 'above')} the average"
    if facts.get("op") == "between" and len(values) == 2:
        return f"only with {label} between {values[0]} and {values[1]}"
    said = " or ".join(values)
    return f"only with {label} {ops.get(facts.get('op', ''), 'equal to')} {said}".strip()


def _evolved_question(first: str) -> dict[str, Any]:
    question = (_between(first, "question") or "").rstrip(" ?.")
    parts = (_between(first, "change") or "").split("; ")
    facts = dict(part.split(": ", 1) for part in parts if ": " in part)
    said = _change_words(facts)
    return {
        "reasoning": f"The evolved SQL keeps the original query and adds: {facts.get('kind')}.",
        "question": f"{question}, {said}?",
        "explanation": f"The evolved query answers the original question {said}.",
    }


def _operator_scores(first: str) -> dict[str, Any]:
    sql = (_between(first, "sql") or "").upper()
    present = {
        "Functional Wrapping": "OVER (" in sql,
        "Operator Mutation": " IN (" in sql or "BETWEEN" in sql or "CASE" in sql,
        "Logical Clause Expansion": "HAVING" in sql,
        "Relational Expansion": sql.count("JOIN") >= 2,
        "Nesting Evolution": "(SELECT" in sql or sql.startswith("WITH"),
        "Set Composition": "EXISTS" in sql or "EXCEPT" in sql,
    }
    digest = hashlib.sha256(sql.encode()).digest()
    return {
        "scores": [
            {
                "operator": name,
                # An operator the query already uses scores lower: less room to add it again.
                "score": round((0.2 if used else 0.6) + digest[i] / 255 * 0.4, 2),
                "justification": f"{'already used' if used else 'applicable'} on this schema",
            }
            for i, (name, used) in enumerate(present.items())
        ]
    }


EVOLVE_ANSWERS = {
    "submit_evolved_question": _evolved_question,
    "submit_operator_scores": _operator_scores,
}
