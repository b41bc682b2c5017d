"""Seeds from production traces: parse logs, traces and datasets, scrub personal data, count
statement shapes, follow growing files, and infer or read the schema the seeds run on.

The planner's entry points: `load_seeds(path)` for a seeds JSONL file, `infer_schema(seeds)`
and `render_ddl(schema)` for seeds that came without DDL, `attach_schema(seeds, schema)`.
"""

from __future__ import annotations

from shared.ingest.catalog import read_ddl_file, read_schema_source
from shared.ingest.detect import InputFormat, LogFormat, detect_format
from shared.ingest.follow import Follower
from shared.ingest.model import IngestIssue, IngestStats, Statement
from shared.ingest.schema_infer import infer_schema
from shared.ingest.schema_model import InferredSchema
from shared.ingest.schema_render import render_ddl
from shared.ingest.scrub import ScrubPolicy, scrub_sql, scrub_text
from shared.ingest.seeds import IngestResult, build_seed, ingest_files
from shared.ingest.seeds_io import attach_schema, load_seeds, read_seeds, tables_of
from shared.ingest.shape import ShapeCounter, message_id, shape_id, statement_shape

__all__ = [
    "Follower",
    "InferredSchema",
    "IngestIssue",
    "IngestResult",
    "IngestStats",
    "InputFormat",
    "LogFormat",
    "ScrubPolicy",
    "ShapeCounter",
    "Statement",
    "attach_schema",
    "build_seed",
    "detect_format",
    "infer_schema",
    "ingest_files",
    "load_seeds",
    "message_id",
    "read_ddl_file",
    "read_schema_source",
    "read_seeds",
    "render_ddl",
    "scrub_sql",
    "scrub_text",
    "shape_id",
    "statement_shape",
    "tables_of",
]
