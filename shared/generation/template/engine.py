"""The offline template engine: blueprint + seed → Draft, with no LLM and no database.

A draft is built in attempts. Each attempt walks the FK graph, builds a query tree, evaluates
it in Python (non-empty, no engine-dependent ties or float comparisons), checks that the tree
has every planned property, and writes a question and explanation from the tree's meaning. An
attempt that fails any check is dropped and the next sub-seed tried; the result is
deterministic for (blueprint, seed).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections import OrderedDict
from dataclasses import dataclass, replace

from proto.common import Engine, JoinKind, PromptStyle, SqlFeature, TaskType
from proto.sample import Blueprint, Draft, ErrorClass, Feedback
from shared.errors import GenerationError
from shared.generation.template.evaluation.eval_types import EvalError, Fragile
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.instance.schema_instance import (
    SchemaInstance,
    build_schema,
    shaped_domain,
)
from shared.generation.template.query.compose import build_select
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.dml import build_dml
from shared.generation.template.query.ir_features import tree_facts
from shared.generation.template.schema.catalogue import domain_names, get_domain
from shared.generation.template.schema.schema_model import Domain
from shared.generation.template.schema.variants import (
    SchemaShape,
    largest_component,
    parse_schema_id,
)
from shared.generation.template.seed.seed_schema import (
    build_seed_schema,
    seed_domain,
    seed_problem,
)
from shared.generation.template.seed.seed_values import instance_value_sources
from shared.generation.template.sql import ir
from shared.generation.template.sql.render import render_sql
from shared.generation.template.words.explain import explain
from shared.generation.template.words.meaning import Meaning
from shared.generation.template.words.question_parts import Vocabulary
from shared.generation.template.words.questions import write_question
from shared.spec.question_lead import QUESTION_WORDS, Lead, parse_lead

ATTEMPTS = 16
# Schema variants per catalogue domain (before the spec's shape multiplies them): enough that a
# 1,000-sample run holds hundreds of distinct schemas (issue 17).
SCHEMA_VARIANTS = 24
# Attempts at the end that relax the sense rules (Ctx.strict) rather than fail the blueprint.
LENIENT_ATTEMPTS = 4
# Queries built for a plan with a length reference (a seed question), the nearest kept.
LENGTH_CHOICES = 3
# Row stores kept per engine, least recently used dropped first.
_STORES = 512
_NO_SYNONYMS = Vocabulary()
# Text the reviewer treats as an unfilled template slot (shared.pipeline.review).
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<[A-Z_]+>|\bNone\b|\bnan\b")
# Failures that say nothing against the SQL: repair rewrites only the question.
_WORDING = frozenset({ErrorClass.REVIEW})


@dataclass(frozen=True)
class Built:
    statement: ir.Statement
    meaning: Meaning
    sql: str


class TemplateEngine:
    name = "template"

    def __init__(self, *, schema_variants: int | None = None) -> None:
        if schema_variants is None:
            # SQLSYNTH_SCHEMA_VARIANTS narrows (or widens) the schemas a run may draw per domain.
            schema_variants = int(os.environ.get("SQLSYNTH_SCHEMA_VARIANTS", SCHEMA_VARIANTS))
        if schema_variants < 1:
            raise ValueError("schema_variants must be at least 1")
        self.schema_variants = schema_variants
        # Row stores by schema id, least recently used dropped first: seed schemas are many.
        self._stores: OrderedDict[str, RowStore] = OrderedDict()
        self._vocab: dict[str, Vocabulary] = {}
        # Meanings of recent drafts by SQL, so a repair can rewrite only the question.
        self._meanings: OrderedDict[str, Meaning] = OrderedDict()

    # ---- public API ------------------------------------------------------------------------

    def generate(self, blueprint: Blueprint, *, seed: int) -> Draft:
        instance = self._instance(blueprint, seed)
        fallbacks = self._fallbacks(blueprint, instance)
        if not fallbacks:
            built = self._build(_on_schema(blueprint, instance), instance, seed, avoid=None)
            return self._nearest_length(blueprint, instance, built, seed)
        # Strict attempts on every candidate variant before any lenient one: a variant that
        # holds the plan cleanly beats a relaxed query (an idle join) on the drawn one. The
        # fallbacks' rows are built only when reached (build_schema caches them for the
        # lenient pass): most plans hold on the drawn variant.
        last: GenerationError | None = None
        for lenient in (False, True):
            for key in (None, *fallbacks):
                candidate = instance if key is None else build_schema(key[0], key[1], shape=key[2])
                try:
                    built = self._build(blueprint, candidate, seed, avoid=None, lenient=lenient)
                except GenerationError as exc:
                    last = exc
                    continue
                return self._draft(blueprint, candidate, built, seed)
        assert last is not None
        raise last

    def repair(
        self, blueprint: Blueprint, draft: Draft, feedback: list[Feedback], *, seed: int
    ) -> Draft:
        """Rewrite what failed: only the question and explanation when the review alone
        objected, otherwise a new query (and question) on the same schema instance."""
        instance = self._instance_of(blueprint, draft, seed)
        classes = {f.error_class for f in feedback}
        meaning = self._meanings.get(draft.sql)
        if classes and classes <= _WORDING and meaning is not None:
            for attempt in range(ATTEMPTS):
                rng = random.Random(_mix(seed, "reword", attempt))
                question = write_question(
                    meaning,
                    blueprint.prompt_style,
                    rng,
                    self._vocabulary(instance),
                    _lead(blueprint),
                )
                if question != draft.question and not _PLACEHOLDER.search(question):
                    informal = blueprint.prompt_style is PromptStyle.INFORMAL
                    explanation = explain(meaning, rng, vague=informal)
                    return draft.model_copy(
                        update={
                            "question": question,
                            "explanation": explanation,
                            "evidence": _evidence(meaning, blueprint.prompt_style, question),
                        }
                    )
        built = self._build(_on_schema(blueprint, instance), instance, seed, avoid=draft.sql)
        return self._draft(blueprint, instance, built, seed)

    # ---- schema ----------------------------------------------------------------------------

    def _instance(self, blueprint: Blueprint, seed: int) -> SchemaInstance:
        if blueprint.seed_schema:
            return self._seed_instance(blueprint, seed)
        domain, variant = blueprint.domain, None
        shape = SchemaShape.from_properties(blueprint.properties)
        if blueprint.schema_id:
            parsed = parse_schema_id(blueprint.schema_id)
            if parsed is not None:
                domain, variant, shape = parsed
            else:
                domain = blueprint.schema_id.partition("#")[0] or domain
        if domain not in domain_names():
            raise GenerationError(
                f"domain {domain!r} is not in the template catalogue "
                f"(known: {', '.join(domain_names())})"
            )
        if variant is not None:
            return build_schema(domain, variant, shape=shape)
        start = _mix(seed, "variant") % self.schema_variants
        for step in range(self.schema_variants):
            # A variant that left out a planned table (or too many) cannot hold the plan.
            variant = (start + step) % self.schema_variants
            if _holds_plan(blueprint, shaped_domain(domain, variant, shape)):
                return build_schema(domain, variant, shape=shape)
        return build_schema(domain, 0, shape=shape)

    def _fallbacks(
        self, blueprint: Blueprint, instance: SchemaInstance
    ) -> list[tuple[str, int, SchemaShape]]:
        """Other variants (same shape) to try when a drawn one could not hold the plan: fewer
        tables, columns or rows leave some plans without witness rows. The full catalogue
        variant first. Keys for build_schema, decided on the tables alone (no rows built)."""
        parsed = parse_schema_id(instance.schema_id)
        if blueprint.seed_schema or blueprint.schema_id or parsed is None:
            return []
        name, variant, shape = parsed
        others = [0, *((variant + step) % self.schema_variants for step in (1, 2))]
        found = [(name, v, shape) for v in dict.fromkeys(others) if v != variant]
        if shape.columns_per_table is not None:
            # Last: the catalogue's own columns. A plan that needs more columns than the spec's
            # narrow tables have (a measured spec of two-column seeds) still gets its query.
            found.append((name, 0, replace(shape, columns_per_table=None)))
        return [key for key in found if _holds_plan(blueprint, shaped_domain(*key))]

    def _seed_instance(self, blueprint: Blueprint, seed: int) -> SchemaInstance:
        """The seed schema's instance: the variant a `seed-<digest>#n` schema id names, else
        one drawn from the seed."""
        domain = seed_domain(blueprint)
        name, _, number = (blueprint.schema_id or "").partition("#")
        if name == domain.name and number.isdigit():
            return build_seed_schema(domain, int(number))
        return build_seed_schema(domain, _mix(seed, "variant") % self.schema_variants)

    def _instance_of(self, blueprint: Blueprint, draft: Draft, seed: int) -> SchemaInstance:
        """The instance a draft was built on (its schema id; same rows for drafts written
        before the id existed), else a fresh pick."""
        name, _, number = draft.schema_id.partition("#")
        parsed = None if blueprint.seed_schema else parse_schema_id(draft.schema_id)
        if parsed is not None and parsed[0] in domain_names():
            return build_schema(parsed[0], parsed[1], shape=parsed[2])
        if blueprint.seed_schema and number.isdigit() and name == seed_domain(blueprint).name:
            return build_seed_schema(seed_domain(blueprint), int(number))
        if blueprint.seed_schema:
            domain_ = seed_domain(blueprint)
            for variant in range(self.schema_variants):
                found = build_seed_schema(domain_, variant)
                if [r.values for r in found.rows] == [r.values for r in draft.rows]:
                    return found
        return self._instance(blueprint, seed)

    def _store(self, instance: SchemaInstance) -> RowStore:
        store = self._stores.get(instance.schema_id)
        if store is None:
            rows = instance.store_rows or instance.rows
            store = RowStore.build(instance.domain, rows, instance.schema_id)
            self._stores[instance.schema_id] = store
            while len(self._stores) > _STORES:
                self._stores.popitem(last=False)
        self._stores.move_to_end(instance.schema_id)
        return store

    def _vocabulary(self, instance: SchemaInstance) -> Vocabulary:
        name = instance.domain.name
        if not instance.domain.synonyms:
            return _NO_SYNONYMS  # seed domains: one per seed, nothing worth keeping
        if name not in self._vocab:
            # The whole catalogue domain: a variant may have left out a table it names.
            self._vocab[name] = Vocabulary.build(get_domain(name))
        return self._vocab[name]

    # ---- building --------------------------------------------------------------------------

    def _build(
        self,
        blueprint: Blueprint,
        instance: SchemaInstance,
        seed: int,
        avoid: str | None,
        *,
        lenient: bool = True,
    ) -> Built:
        """A query for the plan; without `lenient`, only the strict attempts are made."""
        store = self._store(instance)
        reasons: dict[str, int] = {}
        for attempt in range(ATTEMPTS if lenient else ATTEMPTS - LENIENT_ATTEMPTS):
            ctx = Ctx.from_blueprint(blueprint, store, random.Random(_mix(seed, "sql", attempt)))
            ctx.strict = attempt < ATTEMPTS - LENIENT_ATTEMPTS
            try:
                if blueprint.task_type is TaskType.MANIPULATION:
                    statement, meaning = build_dml(ctx)
                else:
                    statement, meaning = build_select(ctx)
                problem = conformance_problem(blueprint, statement)
                if problem:
                    raise Fragile(problem)
                seed_info = instance.domain.seed
                sql = render_sql(statement, seed_info.quoted if seed_info else ())
                problem = seed_problem(instance.domain, statement, sql)
                if problem:
                    raise Fragile(problem)
                if sql == avoid:
                    raise Fragile("same SQL as the draft being repaired")
            except (Fragile, EvalError, ValueError) as exc:
                key = str(exc).split(":")[0][:80]
                reasons[key] = reasons.get(key, 0) + 1
                continue
            meaning.definitions = dict(ctx.definitions)
            return Built(statement, meaning, sql)
        summary = "; ".join(f"{r} (x{n})" for r, n in sorted(reasons.items(), key=lambda x: -x[1]))
        raise GenerationError(
            f"no query for this blueprint on {instance.schema_id} after {ATTEMPTS} attempts: "
            f"{summary}"
        )

    def _draft(
        self, blueprint: Blueprint, instance: SchemaInstance, built: Built, seed: int
    ) -> Draft:
        vocab = self._vocabulary(instance)
        for attempt in range(ATTEMPTS):
            rng = random.Random(_mix(seed, "words", attempt))
            question = write_question(
                built.meaning, blueprint.prompt_style, rng, vocab, _lead(blueprint)
            )
            informal = blueprint.prompt_style is PromptStyle.INFORMAL
            explanation = explain(built.meaning, rng, vague=informal)
            if not _PLACEHOLDER.search(question) and not _PLACEHOLDER.search(explanation):
                break
        else:
            raise GenerationError("every wording of the question contains a placeholder word")
        self._remember(built.sql, built.meaning)
        return Draft(
            domain=blueprint.domain,
            schema_ddl=instance.ddl,
            rows=list(instance.rows),
            sql=built.sql,
            sql_dialect=Engine.SQLITE,
            sql_by_dialect={},
            question=question,
            prompt_style=blueprint.prompt_style,
            explanation=explanation,
            task_type=blueprint.task_type,
            complexity=blueprint.complexity,
            sql_complexity=blueprint.sql_complexity,
            engine="template",
            evidence=_evidence(built.meaning, blueprint.prompt_style, question),
            schema_id=instance.schema_id,
            value_sources=instance_value_sources(instance),
            scrubbed_values=dict(instance.domain.seed.scrubbed) if instance.domain.seed else {},
        )

    def _nearest_length(
        self, blueprint: Blueprint, instance: SchemaInstance, built: Built, seed: int
    ) -> Draft:
        """The draft whose question is nearest the planned length (`question_words`: a seed
        question's words, seed 001's style reference), among up to LENGTH_CHOICES queries for
        the plan; each holds every planned property, the others strictly (no lenient query)."""
        draft = self._draft(blueprint, instance, built, seed)
        target = blueprint.properties.get(QUESTION_WORDS)
        if not isinstance(target, int) or isinstance(target, bool):
            return draft
        drafts = [draft]
        for k in range(1, LENGTH_CHOICES):
            sub = _mix(seed, "length", k)
            try:
                other = self._build(
                    _on_schema(blueprint, instance), instance, sub, avoid=None, lenient=False
                )
            except GenerationError:
                continue
            drafts.append(self._draft(blueprint, instance, other, sub))
        return min(drafts, key=lambda d: abs(len(d.question.split()) - target))

    def _remember(self, sql: str, meaning: Meaning) -> None:
        self._meanings[sql] = meaning
        self._meanings.move_to_end(sql)
        while len(self._meanings) > 4096:
            self._meanings.popitem(last=False)


def conformance_problem(blueprint: Blueprint, statement: ir.Statement) -> str | None:
    """Why the tree misses a planned property (the validator's conformance rules), or None."""
    facts = tree_facts(statement)
    if len(facts.tables) != blueprint.num_tables:
        return f"reads {len(facts.tables)} tables, {blueprint.num_tables} planned"
    missing_tables = {t.lower() for t in blueprint.tables} - {t.lower() for t in facts.tables}
    if missing_tables:
        return f"planned tables missing: {sorted(missing_tables)}"
    kind = blueprint.join_kind
    if kind is not None and blueprint.num_tables > 1 and facts.joins[kind] == 0:
        return f"no {kind.value} join"
    missing = set(blueprint.features) - facts.features
    if missing:
        return "missing features: " + ", ".join(sorted(f.value for f in missing))
    return None


def _on_schema(blueprint: Blueprint, instance: SchemaInstance) -> Blueprint:
    """The blueprint as the builder reads it on a seed schema: planned tables matched to the
    seed's spelling (names are case-insensitive in SQL), tables it does not have ignored."""
    if instance.domain.seed is None or not blueprint.tables:
        return blueprint
    names = {t.name.lower(): t.name for t in instance.domain.tables}
    tables = [names[t.lower()] for t in blueprint.tables if t.lower() in names]
    return blueprint.model_copy(update={"tables": list(dict.fromkeys(tables))})


def _holds_plan(blueprint: Blueprint, domain: Domain) -> bool:
    return largest_component(domain, blueprint.tables) >= blueprint.num_tables


def _lead(blueprint: Blueprint) -> Lead | None:
    """How the question opens, when the spec plans it (`question_lead`, from seed questions)."""
    return parse_lead(blueprint.properties.get("question_lead"))


def _evidence(meaning: Meaning, style: PromptStyle, question: str) -> str:
    """What the question's vague words stand for (only the informal style uses them), and
    what the computed labels it names mean (a band's cut, in every style)."""
    notes = meaning.vague_notes() if style is PromptStyle.INFORMAL else []
    said = question.lower()
    named = {*meaning.per, *meaning.details, *meaning.shown}
    notes += [
        d for label, d in meaning.definitions.items() if label in named or label.lower() in said
    ]
    return "; ".join(dict.fromkeys(notes))


def _mix(seed: int, *parts: object) -> int:
    key = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


__all__ = ["JoinKind", "SqlFeature", "TemplateEngine", "conformance_problem"]
