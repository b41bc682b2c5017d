"""Target vs realised: TVD and chi-square by hand, and the report's spec section on a tiny spec."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from pathlib import Path

import pytest

from shared.report.build import build_report
from shared.report.load import load_report_dataset
from shared.report.spec_compare import SpecTargets, fit_distribution
from shared.spec import build_spec, default_spec, expected_distribution
from shared.spec.model import format_key

TINY_SPEC = {
    "name": "tiny",
    "domains": ["shop"],
    "properties": [
        {"name": "complexity", "values": {"easy": 0.5, "hard": 0.5}},
        {
            "name": "num_tables",
            "depends_on": ["complexity"],
            "conditional": {"easy": {"1": 1.0}, "hard": {"2": 0.5, "3": 0.5}},
        },
    ],
}


def chi2_p_one_dof(statistic: float) -> float:
    """Survival function of chi-square with one degree of freedom, in closed form."""
    return math.erfc(math.sqrt(statistic / 2))


def test_fit_by_hand() -> None:
    fit = fit_distribution({"a": 0.5, "b": 0.5}, Counter({"a": 30, "b": 10}))
    assert fit["n"] == 40
    assert fit["realised"] == {"a": 0.75, "b": 0.25}
    assert fit["tvd"] == pytest.approx(0.25)
    # (30 - 20)^2 / 20 + (10 - 20)^2 / 20 = 10, one degree of freedom.
    assert fit["chi2"] == pytest.approx(10.0)
    assert fit["dof"] == 1
    assert fit["p_value"] == pytest.approx(chi2_p_one_dof(10.0))
    assert fit["min_expected"] == pytest.approx(20.0)


def test_fit_perfect_and_impossible() -> None:
    perfect = fit_distribution({"x": 0.25, "y": 0.75}, Counter({"x": 1, "y": 3}))
    assert perfect["tvd"] == pytest.approx(0.0)
    assert perfect["chi2"] == pytest.approx(0.0)
    assert perfect["p_value"] == pytest.approx(1.0)
    # A value the target never produces: no chi-square, p = 0, counted as outside.
    outside = fit_distribution({"x": 1.0}, Counter({"x": 3, "z": 1}))
    assert outside["tvd"] == pytest.approx(0.25)
    assert outside["chi2"] is None and outside["p_value"] == 0.0
    assert outside["outside_target"] == 1


def test_targets_match_expected_distribution_on_the_default_spec() -> None:
    spec = default_spec()
    targets = SpecTargets(spec)
    for name in targets.properties():
        expected = {format_key(v): p for v, p in expected_distribution(spec, name).items()}
        got = targets.target(name)
        assert list(got) == list(expected), name
        assert got == pytest.approx(expected), name
        parents = targets.parents(name)
        declared = [spec.by_name[p].declared() for p in parents]
        for combo in itertools.product(*declared):
            given = dict(zip(parents, combo, strict=True))
            try:
                shares = expected_distribution(spec, name, given)
            except ValueError:
                shares = {}
            expected = {format_key(v): p for v, p in shares.items()}
            assert targets.target(name, given) == pytest.approx(expected), (name, given)


def test_spec_section_on_a_tiny_spec(tmp_path: Path) -> None:
    rows = [
        {"sql": "SELECT a FROM t1", "complexity": "easy"},
        {"sql": "SELECT b FROM t1", "complexity": "easy"},
        {"sql": "SELECT c FROM t1", "complexity": "easy"},
        {"sql": "SELECT t1.a FROM t1 JOIN t2 ON t1.a = t2.a", "complexity": "hard"},
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = build_spec(TINY_SPEC)
    section = build_report([load_report_dataset(path)], spec=spec)["spec"]
    by_name = {p["property"]: p for p in section["properties"]}

    complexity = by_name["complexity"]
    assert complexity["source"] == "label"
    assert complexity["tvd"] == pytest.approx(0.25)  # 3/4 easy against 1/2
    # Expected 2 and 2: (3-2)^2/2 + (1-2)^2/2 = 1.
    assert complexity["chi2"] == pytest.approx(1.0)
    assert complexity["p_value"] == pytest.approx(chi2_p_one_dof(1.0))

    tables = by_name["num_tables"]
    assert tables["source"] == "measured"
    assert tables["target"] == pytest.approx({"1": 0.5, "2": 0.25, "3": 0.25})
    assert tables["counts"] == {"1": 3, "2": 1, "3": 0}
    assert tables["tvd"] == pytest.approx(0.25)

    given = {(c["property"], c["given"]["complexity"]): c for c in section["conditionals"]}
    easy = given[("num_tables", "easy")]
    assert easy["n"] == 3 and easy["tvd"] == pytest.approx(0.0) and easy["p_value"] == 1.0
    hard = given[("num_tables", "hard")]
    assert hard["target"] == pytest.approx({"2": 0.5, "3": 0.5})
    assert hard["n"] == 1 and hard["tvd"] == pytest.approx(0.5)

    # The records carry no domain: the property is reported as not comparable, not dropped.
    assert {"property": "domain", "reason": "no record has a value for it"} in section["skipped"]
    assert section["summary"]["properties"] == len(section["properties"])


def test_columns_per_table_is_measured_from_the_schema_not_read_from_the_plan() -> None:
    from shared.datasets import DatasetRecord
    from shared.report.facts import measure_record
    from shared.report.spec_compare import choose_reader, measure_columns_per_table

    ddl = (
        "CREATE TABLE shops (id INTEGER PRIMARY KEY, name TEXT, city TEXT);\n"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, shop_id INTEGER, total REAL, placed DATE);"
    )
    record = DatasetRecord(
        id="r1",
        sql="SELECT name FROM shops",
        schema_ddl=ddl,
        extra={"properties": {"properties": {"columns_per_table": 6}}},
    )
    fact = measure_record(record, {})
    assert fact.planned.get("columns_per_table") == 6
    # 3 and 4 columns: 3.5 rounds half up to 4, whatever the planner drew.
    assert measure_columns_per_table(fact) == "4"
    chosen = choose_reader("columns_per_table", [fact])
    assert chosen is not None and chosen[0] == "measured"
    no_schema = measure_record(DatasetRecord(id="r2", sql="SELECT 1"), {})
    assert measure_columns_per_table(no_schema) is None


def test_rows_per_table_is_measured_from_the_inserts_not_read_from_the_plan() -> None:
    from shared.datasets import DatasetRecord
    from shared.report.facts import measure_record
    from shared.report.spec_compare import choose_reader, measure_rows_per_table

    context = (
        "CREATE TABLE shops (id INTEGER PRIMARY KEY, name TEXT);\n"
        "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);\n"
        "CREATE TABLE stock (id INTEGER PRIMARY KEY, shop_id INTEGER, item_id INTEGER, "
        "UNIQUE (shop_id, item_id));\n"
        # Three shops (a closed list ran out), five items, a junction of seven.
        "INSERT INTO shops (id, name) VALUES (1, 'North (old)'), (2, 'It''s; here'), (3, 'C');\n"
        "INSERT INTO items (id, label) VALUES "
        + ", ".join(f"({i}, 'i{i}')" for i in range(5))
        + ";\nINSERT INTO stock (id, shop_id, item_id) VALUES "
        + ", ".join(f"({i}, 1, {i})" for i in range(7))
        + ";"
    )
    record = DatasetRecord(
        id="r1",
        sql="SELECT name FROM shops",
        schema_ddl=context,
        extra={"properties": {"properties": {"rows_per_table": 12}}},
    )
    fact = measure_record(record, {})
    assert fact.planned.get("rows_per_table") == 12
    # Quotes with parentheses, semicolons and doubled apostrophes are one value each.
    assert measure_rows_per_table(fact) == "5"
    chosen = choose_reader("rows_per_table", [fact])
    assert chosen is not None and chosen[0] == "measured"
    no_rows = measure_record(DatasetRecord(id="r2", sql="SELECT 1"), {})
    assert measure_rows_per_table(no_rows) is None
