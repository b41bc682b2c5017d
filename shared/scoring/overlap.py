"""Overlap between a generated dataset and an evaluation set (contamination check).

Three layers, each exact and near:
- schema: the set of table.column names of each record's DDL; exact = the same set, near =
  Jaccard ≥ `schema_near` (0.8);
- question: exact = the dedup's normalised text; near = cosine of the dedup's question
  embeddings ≥ the embedder's calibrated threshold (0.91 static, 0.9 full model, seed 004);
- SQL: exact = the dedup's normalised SQL; near = SQL-Factory's hybrid score ≥ 0.95 (the dedup's
  SQL threshold), computed exactly for the top candidates a token-sort prefilter retrieves.
Figures are shares of the DATASET's records that have such a match in OTHER.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlglot
from rapidfuzz import process
from rapidfuzz.distance import Indel
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.pipeline.dedup import normalize_question, normalize_sql
from shared.similarity.embedders import Embedder
from shared.similarity.hybrid import describe_sql, hybrid_similarity


@dataclass(frozen=True)
class OverlapItem:
    id: str
    question: str | None
    sql: str
    schema: str | None
    dialect: str = "sqlite"


@dataclass(frozen=True)
class OverlapPlan:
    schema_near: float = 0.8
    question_near: float = 0.91
    sql_near: float = 0.95
    sql_candidates: int = 5


def schema_signature(ddl: str | None, dialect: str) -> frozenset[str]:
    if not ddl:
        return frozenset()
    names: set[str] = set()
    try:
        statements = sqlglot.parse(ddl, read=dialect)
    except SqlglotError:
        return frozenset()
    for statement in statements:
        if isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
            table = statement.this.this
            table_name = table.name.lower() if isinstance(table, exp.Table) else ""
            for column in statement.this.expressions:
                if isinstance(column, exp.ColumnDef):
                    names.add(f"{table_name}.{column.name.lower()}")
    return frozenset(names)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def schema_overlap(
    ours: Sequence[OverlapItem], theirs: Sequence[OverlapItem], near: float
) -> dict[str, Any]:
    mine = {item.id: schema_signature(item.schema, item.dialect) for item in ours}
    other = {schema_signature(item.schema, item.dialect) for item in theirs} - {frozenset()}
    exact = near_hits = 0
    best_scores = []
    for signature in mine.values():
        if not signature:
            best_scores.append(0.0)
            continue
        best = max((_jaccard(signature, s) for s in other), default=0.0)
        best_scores.append(best)
        exact += signature in other
        near_hits += best >= near
    n = len(mine)
    return {
        "exact": exact / n if n else None,
        "near": near_hits / n if n else None,
        "distinct_schemas": len(set(mine.values())),
        "max_jaccard": max(best_scores, default=0.0),
    }


def question_overlap(
    ours: Sequence[OverlapItem],
    theirs: Sequence[OverlapItem],
    embedder: Embedder,
    near: float,
) -> dict[str, Any]:
    mine = [i.question for i in ours if i.question]
    other = [i.question for i in theirs if i.question]
    if not mine or not other:
        return {"exact": None, "near": None, "compared": len(mine)}
    other_norm = {normalize_question(q) for q in other}
    exact = sum(normalize_question(q) in other_norm for q in mine)
    a, b = embedder.embed(mine), embedder.embed(other)
    best = np.max(a @ b.T, axis=1)
    return {
        "exact": exact / len(mine),
        "near": float(np.mean(best >= near)),
        "compared": len(mine),
        "max_cosine": float(best.max()),
    }


def sql_overlap(
    ours: Sequence[OverlapItem],
    theirs: Sequence[OverlapItem],
    embedder: Embedder,
    plan: OverlapPlan,
) -> dict[str, Any]:
    other_norm = {normalize_sql(i.sql, i.dialect) for i in theirs}
    other_shapes = [describe_sql(i.sql, i.dialect) for i in theirs]
    sorted_tokens = [shape.sorted_tokens for shape in other_shapes]
    other_vectors = embedder.embed([i.sql for i in theirs])
    exact = near = 0
    best_scores = []
    for item in ours:
        exact += normalize_sql(item.sql, item.dialect) in other_norm
        shape = describe_sql(item.sql, item.dialect)
        # Retrieve by the token-sort ratio (the hybrid's 0.6 share), score the top exactly.
        hits = process.extract(
            shape.sorted_tokens,
            sorted_tokens,
            scorer=Indel.normalized_similarity,
            limit=plan.sql_candidates,
        )
        vector = embedder.embed([item.sql])[0]
        best = 0.0
        for _, _, index in hits:
            cosine = float(vector @ other_vectors[index])
            best = max(best, hybrid_similarity(shape, other_shapes[index], cosine).total)
        best_scores.append(best)
        near += best >= plan.sql_near
    n = len(ours)
    return {
        "exact": exact / n if n else None,
        "near": near / n if n else None,
        "max_hybrid": max(best_scores, default=0.0),
    }


def measure_overlap(
    ours: Sequence[OverlapItem],
    theirs: Sequence[OverlapItem],
    embedder: Embedder,
    plan: OverlapPlan | None = None,
) -> dict[str, Any]:
    plan = plan or OverlapPlan()
    return {
        "records": len(ours),
        "against": len(theirs),
        "schema": schema_overlap(ours, theirs, plan.schema_near),
        "question": question_overlap(ours, theirs, embedder, plan.question_near),
        "sql": sql_overlap(ours, theirs, embedder, plan),
        "thresholds": {
            "schema_jaccard": plan.schema_near,
            "question_cosine": plan.question_near,
            "sql_hybrid": plan.sql_near,
            "embedder": embedder.name,
        },
    }
