"""Garbage in: random bytes, binary, truncated and huge lines are counted issues with
positions, never exceptions."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.ingest.detect import PARSERS, InputFormat, LogFormat
from shared.ingest.lines import MAX_LINE_BYTES
from shared.ingest.seeds import ingest_files, iterate_file

# tmp_path is shared by the examples of one test; each example writes its own file name.
QUIET = [HealthCheck.function_scoped_fixture]
REAL_LINES = {
    LogFormat.PG_STDERR: "2024-05-01 10:00:00.000 UTC [42] LOG:  statement: SELECT 1\n",
    LogFormat.PG_CSV: (
        '2024-05-01 10:00:00.000 UTC,"u","db",42,"h",6b,1,"SELECT",2024-05-01 10:00:00 UTC,'
        '3/4,0,LOG,00000,"statement: SELECT 2",,,,,,,,,"","client backend",,0\n'
    ),
    LogFormat.PG_JSON: '{"pid":42,"error_severity":"LOG","message":"statement: SELECT 3"}\n',
    LogFormat.MYSQL_GENERAL: "240501 10:00:00\t     5 Query\tSELECT 4\n",
    LogFormat.MYSQL_SLOW: "# Time: 240501 10:00:00\n# Query_time: 0.1  Rows_sent: 1\nSELECT 5;\n",
    LogFormat.OTEL: '{"attributes": {"db.statement": "SELECT 6"}}\n',
}


def run_parser(fmt: LogFormat, path: Path) -> tuple[int, int, list[str]]:
    statements, issues, positions = 0, 0, []
    for output in iterate_file(path, fmt):
        if hasattr(output, "sql"):
            statements += 1
        else:
            issues += 1
            positions.append(output.position)
    return statements, issues, positions


@pytest.mark.parametrize("fmt", list(PARSERS))
def test_garbage_around_a_real_line(tmp_path: Path, fmt: LogFormat) -> None:
    rng = random.Random(fmt.value)
    junk = bytes(rng.randrange(256) for _ in range(4000))
    huge = b"x" * (MAX_LINE_BYTES + 10) + b"\n"
    path = tmp_path / "log"
    path.write_bytes(
        REAL_LINES[fmt].encode()
        + junk
        + b"\n\x00\x00binary\x00\n"
        + huge
        + REAL_LINES[fmt].encode()
        + REAL_LINES[fmt].encode()[: len(REAL_LINES[fmt]) // 2]
    )
    statements, issues, positions = run_parser(fmt, path)
    assert statements >= 1
    assert issues >= 1
    assert all(p.startswith("line ") and int(p.split()[1]) >= 1 for p in positions)
    # The oversized line is reported and skipped, never held whole.
    assert any("longer than" in i.message for i in ingest_files([path], _family(fmt)).stats.issues)


def _family(fmt: LogFormat) -> InputFormat:
    return {
        LogFormat.PG_STDERR: InputFormat.POSTGRES,
        LogFormat.PG_CSV: InputFormat.POSTGRES,
        LogFormat.PG_JSON: InputFormat.POSTGRES,
        LogFormat.MYSQL_GENERAL: InputFormat.MYSQL,
        LogFormat.MYSQL_SLOW: InputFormat.MYSQL,
        LogFormat.OTEL: InputFormat.OTEL,
    }[fmt]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(list(PARSERS)))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, fmt: LogFormat) -> None:
    path = tmp_path / f"fuzz-{fmt.value}"
    path.write_bytes(data)
    statements, issues, positions = run_parser(fmt, path)
    assert statements >= 0 and issues == len(positions)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=1, max_value=400), fmt=st.sampled_from(list(PARSERS)))
def test_truncated_records(tmp_path: Path, cut: int, fmt: LogFormat) -> None:
    text = REAL_LINES[fmt] * 3
    path = tmp_path / f"cut-{fmt.value}"
    path.write_text(text[: min(cut, len(text) - 1)])
    run_parser(fmt, path)  # must not raise


def test_unknown_file_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes(range(256)) * 8)
    result = ingest_files([path, tmp_path / "missing.log"])
    assert result.seeds == [] and result.stats.issue_count == 2
    assert {issue.position for issue in result.stats.issues} == {"file"}
