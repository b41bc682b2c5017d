from __future__ import annotations

import pytest

from proto import Blueprint, Draft, PromptStyle, SampleEnvelope, TableRows
from proto.common import Complexity, TaskType


def make_envelope(
    sample_id: str = "s1",
    question: str = "How many orders are there?",
    sql: str = "SELECT COUNT(*) FROM orders",
    run_id: str = "r1",
) -> SampleEnvelope:
    draft = Draft(
        domain="retail",
        schema_ddl="CREATE TABLE orders (id INTEGER PRIMARY KEY, total DECIMAL(12,2));",
        rows=[TableRows(table="orders", columns=["id", "total"], values=[[1, 9.5], [2, 3.25]])],
        sql=sql,
        question=question,
        prompt_style=PromptStyle.DIRECT,
        explanation="Counts every row of the orders table.",
        task_type=TaskType.ANALYTICS,
        complexity=Complexity.EASY,
    )
    return SampleEnvelope(
        run_id=run_id, sample_id=sample_id, blueprint=Blueprint(domain="retail"), draft=draft
    )


@pytest.fixture
def envelope() -> SampleEnvelope:
    return make_envelope()
