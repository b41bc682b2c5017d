"""A scripted Claude for reasoning: it knows each record's gold SQL (looked up by the question
in the prompt) and answers it with probability `accuracy`, else one of the offline mistakes.

Its acceptance rate under rejection sampling is a property of this script (about
1 - (1 - accuracy)^n for n candidates, plus mistakes that happen to return the gold result),
not a measurement of any real model.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from typing import Any

from shared.pairs.mutations import propose_mutants, read_schema_columns
from shared.reasoning.trace import derive_trace
from tests.fakes.llm import ModelTurn


class ScriptedReasoner:
    def __init__(self, rows: Sequence[dict[str, Any]], accuracy: float, seed: int = 0) -> None:
        self.rows = list(rows)
        self.accuracy = accuracy
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.answers = 0

    def _row_for(self, prompt: str) -> dict[str, Any]:
        for row in self.rows:
            if f"Question: {row['sql_prompt'].strip()}" in prompt:
                return row
        raise AssertionError("the prompt names no known question")

    def __call__(self, body: dict[str, Any]) -> ModelTurn:
        prompt = body["messages"][0]["content"]
        row = self._row_for(prompt)
        with self.lock:
            self.answers += 1
            right = self.rng.random() < self.accuracy
            pick = self.rng.random()
        sql = row["sql"]
        if not right:
            schema = read_schema_columns(row["sql_context"], "sqlite")
            mutants = propose_mutants(sql, "sqlite", schema)
            if mutants:
                sql = mutants[int(pick * len(mutants))][1]
        steps = derive_trace(sql) or "1. Read the schema."
        text = f"Let me work through it.\n{steps}\n\n```sql\n{sql}\n```"
        return ModelTurn([{"type": "text", "text": text}])
