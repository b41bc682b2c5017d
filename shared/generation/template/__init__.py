"""The offline template engine: a grammar over a schema graph, deterministic for a seed.

The entry point is `engine.TemplateEngine` (`generate(blueprint, seed=...)` and `repair`);
callers import it from `shared.generation.template.engine`. One draft, step by step:

1. Blueprint → schema instance. `engine.py` reads the `Blueprint` (proto) and picks the schema:
   a catalogue domain (`schema/catalogue.py`, YAML in `schema/domains/`, the model in
   `schema/schema_model.py`) shaped by the spec (`schema/variants.py`) and filled with rows
   (`instance/rows.py`, Faker pools in `instance/seed_fakes.py`) into a
   `instance/schema_instance.py` `SchemaInstance`; or, for a seeded blueprint, the seed's DDL
   read into a domain (`seed/from_ddl.py`, helpers `seed/seed_*.py`) and built by
   `seed/seed_schema.py`. The rows are indexed once per schema id (`instance/rowstore.py`).
2. Plan. `query/context.py` `Ctx.from_blueprint` holds what the blueprint demands (tables,
   join kind, features, filters), the row store and the attempt's random source (the odds of
   the builder's random choices are named in `query/chances.py`);
   `query/base.py` plans the FROM part along the foreign-key graph (`schema/join_paths.py`) and
   picks a witness row the query must keep.
3. Query. `query/compose.py` `build_select` (or `query/dml.py` `build_dml`) builds the tree of
   `sql/ir.py`: the innermost SELECT in `query/core.py` (measures in `query/core_measures.py`,
   shown columns in `query/outputs.py`), filters that hold on the witness in
   `query/predicates.py`, subqueries in `query/subqueries.py`, set operations in
   `query/setops.py`, sense rules in `query/tidy.py`; DML pieces in `query/dml_parts.py` and
   `query/dml_new.py`. Beside the tree each builder fills a `words/meaning.py` `Meaning`.
4. Evaluation. The builders run what they build in Python with SQL semantics
   (`evaluation/evaluate.py`, expressions in `evaluation/evaluate_expr.py`, DML dry runs in
   `evaluation/evaluate_dml.py`): a result must be non-empty and the same on every engine, or
   the attempt raises `Fragile` (`evaluation/eval_types.py`).
5. Conformance. `engine.conformance_problem` reads the tree's tables, joins and features
   (`query/ir_features.py`) against the blueprint, `seed/seed_schema.py` `seed_problem` checks
   a seed schema's limits, and `sql/render.py` prints the SQL. A failed attempt tries the next
   sub-seed: strict attempts first, then lenient ones (`engine.ATTEMPTS`).
6. Words. `words/questions.py` `write_question` freezes the meaning (`words/freeze.py`) into a
   `QuestionMeaning` (`words/intent.py`) and realizes it in the prompt style
   (`words/realize.py`, `words/changes.py`, `words/phrases.py`), with the domain's names from
   `words/question_parts.py` and `words/phrasebook.py`; `words/explain.py` writes the
   explanation. The `Draft` carries the schema id, rows, evidence and value sources
   (`seed/seed_values.py`).

Subpackages import only those before them: sql → schema → instance → seed → evaluation →
words → query, and `engine.py` at the root imports any (`tests/unit/test_architecture.py`).
"""
