from __future__ import annotations

import json
from pathlib import Path

from proto import Outcome, SampleEnvelope, Stage
from proto.sample import ErrorClass, TableRows
from shared.pipeline.records import render_inserts
from shared.pipeline.sink import DatasetSink, drop_torn_tail
from tests.unit.pipeline.conftest import make_envelope


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_sample_is_written_once(tmp_path: Path, envelope: SampleEnvelope) -> None:
    sink = DatasetSink(tmp_path)
    sink.open()
    assert sink.write(Outcome.ACCEPTED, envelope) is not None
    assert sink.write(Outcome.ACCEPTED, envelope) is None  # a redelivery
    sink.close()
    records = lines(tmp_path / "dataset.jsonl")
    assert [r["id"] for r in records] == ["s1"]
    record = records[0]
    assert record["sql_prompt"] == envelope.draft.question  # type: ignore[union-attr]
    assert "INSERT INTO orders (id, total) VALUES (1, 9.5), (2, 3.25);" in str(
        record["sql_context"]
    )


def test_restart_recounts_and_skips_written_ids(tmp_path: Path) -> None:
    sink = DatasetSink(tmp_path)
    sink.open()
    sink.write(Outcome.ACCEPTED, make_envelope("a"))
    rejected = make_envelope("b")
    rejected.record(Stage.REVISER, Outcome.REJECTED, "engines disagree", ErrorClass.ENGINE_MISMATCH)
    sink.write(Outcome.REJECTED, rejected)
    sink.write(Outcome.DUPLICATE, make_envelope("c"))
    sink.close()

    again = DatasetSink(tmp_path)
    again.open()
    status = again.status["r1"]
    assert (status.accepted, status.rejected, status.duplicate) == (1, 1, 1)
    assert status.rejection_reasons == {"engine_mismatch": 1}
    assert again.write(Outcome.ACCEPTED, make_envelope("a")) is None
    assert again.write(Outcome.ACCEPTED, make_envelope("d")) is not None
    again.close()
    rejects = lines(tmp_path / "rejected.jsonl")
    assert rejects[0]["reason"] == "engines disagree"
    assert rejects[0]["envelope"]["history"][-1]["stage"] == "reviser"  # type: ignore[index]


def test_torn_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "dataset.jsonl"
    path.write_text('{"id": "a", "run_id": "r"}\n{"id": "b", "ru')
    drop_torn_tail(path)
    assert path.read_text() == '{"id": "a", "run_id": "r"}\n'


def test_poison_is_kept_with_its_reason(tmp_path: Path) -> None:
    sink = DatasetSink(tmp_path)
    sink.open()
    sink.write_poison(b"\xff not json", {"error": "invalid JSON"})
    sink.close()
    [record] = lines(tmp_path / "poison.jsonl")
    assert record["headers"] == {"error": "invalid JSON"}
    assert "not json" in str(record["body"])


def test_inserts_quote_the_names_the_schema_quotes() -> None:
    ddl = 'CREATE TABLE "Order" ("Id" INTEGER PRIMARY KEY, "Total ""net""" REAL, plain TEXT);'
    rows = [
        TableRows(table="Order", columns=["Id", 'Total "net"', "plain"], values=[[1, 2.5, "x"]])
    ]
    inserts = render_inserts(rows, ddl)
    assert inserts == 'INSERT INTO "Order" ("Id", "Total ""net""", plain) VALUES (1, 2.5, \'x\');'
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.executescript(ddl + inserts)
    assert db.execute('SELECT "Total ""net""" FROM "Order"').fetchall() == [(2.5,)]
