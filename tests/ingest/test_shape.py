"""Statement shapes and how repeats are counted."""

from __future__ import annotations

from proto.seed import SeedEvent
from shared.ingest.shape import ShapeCounter, count_bucket, message_id, shape_id, statement_shape


def test_literals_do_not_change_the_shape() -> None:
    a = shape_id("SELECT * FROM t WHERE id = 1 AND name = 'x'", "postgres")
    b = shape_id("select *\n  from t where id=42 and name='y' -- why", "postgres")
    assert a == b
    assert shape_id("SELECT * FROM t WHERE id IN (1, 2, 3)") == shape_id(
        "SELECT * FROM t WHERE id IN (7)"
    )
    assert shape_id("INSERT INTO t VALUES (1, 'a'), (2, 'b')") == shape_id(
        "INSERT INTO t VALUES (3, 'c')"
    )


def test_identifiers_change_the_shape() -> None:
    assert shape_id("SELECT a FROM t WHERE id = 1") != shape_id("SELECT b FROM t WHERE id = 1")
    assert shape_id("SELECT a FROM t") != shape_id("SELECT a FROM u")


def test_unparsable_text_still_has_a_stable_shape() -> None:
    garbage = "SELEC ((( FROM 'x' 12"
    assert statement_shape(garbage) == statement_shape(garbage.replace("12", "13"))
    assert statement_shape("SELECT 'unterminated") == statement_shape("SELECT 'unterminated")


def seed(seed_id: str, count: int = 1, duration: float | None = None) -> SeedEvent:
    return SeedEvent(seed_id=seed_id, sql="SELECT 1", source="t", count=count, duration_ms=duration)


def test_batch_counting_keeps_one_seed_per_shape() -> None:
    counter = ShapeCounter()
    for duration in (1.0, 2.0, 6.0):
        counter.add(seed("a", duration=duration))
    counter.add(seed("b"))
    seeds = {s.seed_id: s for s in counter.seeds()}
    assert seeds["a"].count == 3 and seeds["a"].duration_ms == 3.0
    assert seeds["b"].count == 1 and seeds["b"].duration_ms is None


def test_stream_counting_announces_when_the_count_doubles() -> None:
    counter = ShapeCounter()
    announced = [counter.observe(seed("a")) for _ in range(9)]
    counts = [s.count for s in announced if s is not None]
    assert counts == [1, 2, 4, 8]
    ids = [message_id(s) for s in announced if s is not None]
    assert len(set(ids)) == len(ids)
    assert count_bucket(5) == count_bucket(7) == 2
