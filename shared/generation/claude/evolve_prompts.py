"""Claude's two evolution prompts (EvolSQL appendix G), as tools with a forced, validated answer.

- Question rewriting (G.2 in spirit): the operator has already evolved the SQL (a sqlglot
  transform, checked on the rows), so the model is not asked to invent harder SQL; it is shown
  the schema, the parent's question and SQL, the operator's instruction (G.3) with the change it
  made, and the evolved SQL, and writes the question a person would ask to get exactly the
  evolved result, in the parent's style, with its explanation (`submit_evolved_question`).
- Strategy model (G.4): a feasibility score in [0, 1] with a justification for each of the six
  operators on the parent query (`submit_operator_scores`). Only the evaluation is asked for.

The system prompt and the two tools are the same for every call, so they form one cacheable
prefix; everything that varies is in the user turn.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from proto.common import EvolutionOperator
from shared.generation.claude.schemas import Answer, Text, make_tool_param

# The paper's operator names (G.3/G.4), by the enum the blueprint records.
OPERATOR_NAMES: dict[EvolutionOperator, str] = {
    EvolutionOperator.FUNC: "Functional Wrapping",
    EvolutionOperator.OP: "Operator Mutation",
    EvolutionOperator.LOGIC: "Logical Clause Expansion",
    EvolutionOperator.JOIN: "Relational Expansion",
    EvolutionOperator.NEST: "Nesting Evolution",
    EvolutionOperator.SET: "Set Composition",
}

# G.3, the evolution instruction of each operator (shortened where it names SQL the operators
# here do not write).
OPERATOR_INSTRUCTIONS: dict[EvolutionOperator, str] = {
    EvolutionOperator.FUNC: "Integrate SQL functions to process data within the query: "
    "aggregate, date, mathematical or window functions.",
    EvolutionOperator.OP: "Use a wider variety of SQL operators: BETWEEN for ranges, IN to "
    "filter against a set of values, or a CASE WHEN expression.",
    EvolutionOperator.LOGIC: "Increase the logical complexity within existing clauses: combine "
    "conditions in WHERE, or add a HAVING clause to filter the groups.",
    EvolutionOperator.JOIN: "Increase the number of tables joined (along a foreign key) to "
    "introduce a new relationship.",
    EvolutionOperator.NEST: "Introduce a nested query, a correlated subquery or a common table "
    "expression (CTE).",
    EvolutionOperator.SET: "Use a set operator (UNION, INTERSECT, EXCEPT) or an EXISTS / NOT "
    "EXISTS subquery.",
}

EVOLVE_SYSTEM_PROMPT = """\
You work on sqlsynth's SQL evolution (EvolSQL): accepted Text-to-SQL samples are made harder by \
atomic transformation operators applied to their SQL's syntax tree. The SQL is evolved and \
checked on the sample's rows for you; your jobs are the words and the strategy.

# Rewriting a question for an evolved query (submit_evolved_question)
You get the schema (SQLite dialect), the original question and SQL, the operator that was \
applied with the change it made, and the evolved SQL. Write the question a person would ask to \
get exactly the evolved SQL's result:
- say every condition, grouping, ordering, limit, computed column and comparison the evolved \
SQL has, and nothing it does not have; keep what the original question said correctly;
- name every literal the SQL filters on, spelled as in the SQL (dates as YYYY-MM-DD);
- use the words of the domain, not identifiers (no snake_case, no table.column);
- keep the original question's style (a terse keyword query stays terse, a conversational one \
stays conversational) and about its length, plus what the change needs;
- do not explain the SQL in the question; the explanation (one to three sentences) says how the \
evolved SQL answers it.
Think in `reasoning` first (what the evolved SQL returns, clause by clause), then answer.

# Scoring the operators (submit_operator_scores)
You get the schema and a question with its SQL. Act as an expert data scientist: for each of \
the six operators, score from 0.0 to 1.0 how feasible it is to apply it to this query so that \
the result stays meaningful on this schema (a column to wrap, a value to widen, a clause to \
extend, a foreign key to follow, a value to nest, a set or existence check to compose), with a \
concise justification about the schema. Do not write a new question or SQL in this step. \
Score all six operators, each once:
""" + "\n".join(
    f"{i}. {OPERATOR_NAMES[op]}: {OPERATOR_INSTRUCTIONS[op]}"
    for i, op in enumerate(EvolutionOperator, start=1)
)


class EvolvedQuestionAnswer(Answer):
    reasoning: Text = Field(description="what the evolved SQL returns, clause by clause")
    question: Text = Field(description="the question the evolved SQL answers, in the same style")
    explanation: Text = Field(description="how the evolved SQL answers the question")


class OperatorScore(Answer):
    operator: str = Field(description="the operator's name, as listed")
    score: float = Field(description="feasibility from 0.0 to 1.0")
    justification: Text

    @model_validator(mode="after")
    def check_score(self) -> OperatorScore:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} is outside 0.0..1.0")
        if self.operator not in OPERATOR_NAMES.values():
            raise ValueError(f"unknown operator {self.operator!r}")
        return self


class OperatorScoresAnswer(Answer):
    scores: list[OperatorScore] = Field(description="all six operators, each once")

    @model_validator(mode="after")
    def check_all_six(self) -> OperatorScoresAnswer:
        named = [s.operator for s in self.scores]
        missing = [n for n in OPERATOR_NAMES.values() if n not in named]
        if missing or len(named) != len(set(named)):
            raise ValueError(f"score each operator once (missing: {', '.join(missing) or '-'})")
        return self

    def by_operator(self) -> dict[EvolutionOperator, float]:
        ops = {name: op for op, name in OPERATOR_NAMES.items()}
        return {ops[s.operator]: s.score for s in self.scores}


EVOLVE_TOOLS: dict[str, tuple[type[Answer], str]] = {
    "submit_evolved_question": (
        EvolvedQuestionAnswer,
        "Submit the question the evolved SQL answers and its explanation.",
    ),
    "submit_operator_scores": (
        OperatorScoresAnswer,
        "Submit a feasibility score and justification for each of the six operators.",
    ),
}


def build_evolve_tools() -> list[dict[str, Any]]:
    return [make_tool_param(name, model, text) for name, (model, text) in EVOLVE_TOOLS.items()]


REWRITE_INSTRUCTION = (
    "Write the question the evolved SQL answers (same style as the original question) and its "
    "explanation. Call submit_evolved_question."
)
SCORE_INSTRUCTION = (
    "Score the feasibility of each of the six operators on this query. Call submit_operator_scores."
)
