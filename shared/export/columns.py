"""The explicit Arrow types of every exported table.

Every column is typed here, never inferred: a column that is null in every row of one file
(reasoning on the template engine) would otherwise be typed `null` there and `string` in a
Claude file, and the two would not concatenate.
"""

from __future__ import annotations

import pyarrow as pa

from proto.common import Engine

ENGINES = tuple(engine.value for engine in Engine)

GOLD_RESULT = pa.struct(
    [
        pa.field("row_count", pa.int64()),
        pa.field("digest", pa.string()),
        pa.field("ordered", pa.bool_()),
    ]
)

TRAINING = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("base_schema", pa.string(), nullable=False),
        pa.field("domain", pa.string()),
        pa.field("schema", pa.string(), nullable=False),
        pa.field("schema_dialect", pa.string()),
        pa.field("question", pa.string(), nullable=False),
        pa.field("evidence", pa.string()),
        pa.field("sql", pa.string(), nullable=False),
        pa.field("sql_dialect", pa.string()),
        pa.field("sql_by_dialect", pa.struct([pa.field(e, pa.string()) for e in ENGINES])),
        pa.field("explanation", pa.string()),
        pa.field("reasoning", pa.string()),
        # "generator" (the draft's own), "claude:<model>" (rejection-sampled), "offline-trace".
        pa.field("reasoning_source", pa.string()),
        pa.field("complexity", pa.string()),
        pa.field("sql_complexity", pa.string()),
        pa.field("task_type", pa.string()),
        pa.field("prompt_style", pa.string()),
        # The gold result per dialect (digest of the normalised rows, row count, whether order
        # counts), so the dataset can score a model without re-running the gold SQL.
        pa.field("gold", pa.struct([pa.field(e, GOLD_RESULT) for e in ENGINES])),
        pa.field("sense_findings", pa.list_(pa.string())),
    ]
)

COST = pa.struct(
    [
        pa.field("calls", pa.int64()),
        pa.field("input_tokens", pa.int64()),
        pa.field("output_tokens", pa.int64()),
        pa.field("cache_creation_input_tokens", pa.int64()),
        pa.field("cache_read_input_tokens", pa.int64()),
        pa.field("usd", pa.float64()),
    ]
)

# Provenance keeps the nested, run-specific documents as JSON text: their shape follows the
# envelope's version, and a typed struct would break concatenation on every contract change.
PROVENANCE = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("run_id", pa.string()),
        pa.field("generator", pa.string()),
        pa.field("attempts", pa.int64()),
        pa.field("properties", pa.string()),
        pa.field("validation", pa.string()),
        pa.field("review", pa.string()),
        pa.field("dedup", pa.string()),
        pa.field("sense", pa.string()),
        pa.field("history", pa.string()),
        pa.field("value_sources", pa.string()),
        pa.field("scrubbed_values", pa.string()),
        pa.field("cost", COST),
    ]
)

MESSAGE = pa.struct([pa.field("role", pa.string()), pa.field("content", pa.string())])

SFT = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("messages", pa.list_(MESSAGE)),
    ]
)

# TRL's DPOTrainer reads `prompt`, `chosen`, `rejected` (standard, non-conversational format).
DPO = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("chosen", pa.string(), nullable=False),
        pa.field("rejected", pa.string(), nullable=False),
        pa.field("error_kind", pa.string()),
        pa.field("source", pa.string()),
    ]
)
