"""OpenTelemetry-style spans: SDK console dumps (pretty JSON), flat JSONL, OTLP batches."""

from __future__ import annotations

import json
from pathlib import Path

from proto.common import Engine
from shared.ingest.detect import LogFormat, detect_format
from shared.ingest.seeds import ingest_files

CONSOLE_SPAN = {
    "name": "SELECT shop",
    "context": {"trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2", "span_id": "0x051581bf3cb55c13"},
    "kind": "SpanKind.CLIENT",
    "start_time": "2024-05-01T10:00:00.000000Z",
    "end_time": "2024-05-01T10:00:00.012500Z",
    "status": {"status_code": "UNSET"},
    "attributes": {
        "db.system": "postgresql",
        "db.name": "shop",
        "db.statement": "SELECT id,\n       name\nFROM customers\nWHERE email = 'ann@example.com'",
    },
}
FAILED_SPAN = {
    "name": "UPDATE",
    "traceId": "5b8aa5a2d2c872e8321cf37308d69df2",
    "startTimeUnixNano": "1714557600000000000",
    "endTimeUnixNano": "1714557600003000000",
    "status": {"code": "STATUS_CODE_ERROR", "message": "deadlock detected"},
    "attributes": {
        "db.system.name": "mysql",
        "db.namespace": "shop",
        "db.query.text": "UPDATE orders SET amount = 3 WHERE id = 7",
        "db.response.returned_rows": 0,
    },
}
OTLP_BATCH = {
    "resourceSpans": [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
            "scopeSpans": [
                {
                    "spans": [
                        {
                            "name": "http",
                            "startTimeUnixNano": 1,
                            "endTimeUnixNano": 2,
                            "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}],
                        },
                        {
                            "name": "SELECT",
                            "startTimeUnixNano": 1000000,
                            "endTimeUnixNano": 5000000,
                            "attributes": [
                                {"key": "db.system", "value": {"stringValue": "sqlite"}},
                                {
                                    "key": "db.statement",
                                    "value": {"stringValue": "SELECT count(*) FROM orders"},
                                },
                                {"key": "db.response.returned_rows", "value": {"intValue": "1"}},
                            ],
                            "events": [
                                {
                                    "name": "exception",
                                    "attributes": [
                                        {
                                            "key": "exception.message",
                                            "value": {"stringValue": "no such table: orders"},
                                        }
                                    ],
                                }
                            ],
                        },
                    ]
                }
            ],
        }
    ]
}


def test_spans_in_every_shape(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    text = (
        json.dumps(CONSOLE_SPAN, indent=4)
        + "\n"
        + json.dumps(FAILED_SPAN)
        + "\n"
        + json.dumps(OTLP_BATCH)
        + "\n"
        + '{"name": "truncated", "attributes": {"db.statement": "SELECT 1 FR\n'
    )
    path.write_text(text)
    assert detect_format(path) is LogFormat.OTEL
    result = ingest_files([path])
    assert len(result.seeds) == 3
    [select] = [seed for seed in result.seeds if "email" in seed.sql]
    assert "\n" in select.sql and "'<email>'" in select.sql
    assert select.dialect is Engine.POSTGRES and select.db_id == "shop"
    assert select.duration_ms == 12.5 and select.position == "line 1"
    [update] = [seed for seed in result.seeds if seed.sql.startswith("UPDATE")]
    assert update.error == "deadlock detected" and update.dialect is Engine.MYSQL
    assert update.rows == 0 and update.duration_ms == 3.0
    counted = next(s for s in result.seeds if s.sql == "SELECT count(*) FROM orders")
    assert counted.error == "no such table: orders" and counted.rows == 1
    assert counted.dialect is Engine.SQLITE and (counted.position or "").endswith("span 2")
    # The truncated last record is an issue with its line, not a crash or a seed.
    [issue] = result.stats.issues
    assert issue.position == f"line {text.count(chr(10))}" and "JSON" in issue.message
