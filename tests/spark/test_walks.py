"""Walks on Spark go level by level: no in-memory core is built, and each level is at most two Spark queries for the
whole frontier (its runs in the core's small files, then the others in the whole index); the rows are DuckDB's,
which walks this store through its core."""
from __future__ import annotations

import pytest

from obsql.engine.session import CORE_LINKS, CORE_OUTPUTS, CORE_RUNS
from obsql.engine.walks import Steps
from tests.oql.conftest import NOW
from tests.spark.test_same_answers import answers, first_difference

pytestmark = pytest.mark.spark

WALKS = ["trace 'pred-1'", "trace forward 'clean.parquet' depth 1", "trace outputs of infer where value > 0.5",
         "trace outputs of infer where value > 0.5 | rank runs", "review"]


@pytest.fixture
def recorded(both, monkeypatch):
    """Every query Spark's reader runs while the test does: (DuckDB SQL, parameters)."""
    reader = both[1].reader
    queries: list[tuple[str, dict]] = []
    run = reader._arrow

    def recording(sql, params):
        queries.append((sql, dict(params or {})))
        return run(sql, params)

    monkeypatch.setattr(reader, "_arrow", recording)
    return queries


@pytest.mark.parametrize("text", WALKS)
def test_a_walk_on_spark_builds_no_core_and_answers_as_duckdb_through_its_core(both, recorded, text):
    duck, spark = both
    duck.run("trace 'pred-1'", now=NOW)  # DuckDB's second walk loads the core
    expected = answers(duck, text)
    assert duck._loaded_core is not None
    columns, rows, _ = answers(spark, text)
    assert columns == expected[0] and first_difference(rows, expected[1]) is None
    assert spark._loaded_core is None and spark._core_key is None
    assert recorded and not [sql for sql, _ in recorded if sql in (CORE_LINKS, CORE_RUNS, CORE_OUTPUTS)]


def test_a_trace_looks_each_level_up_whole_in_the_core_then_the_rest_in_the_index(both, recorded):
    columns, rows, _ = answers(both[1], "trace 'pred-1'")
    lookups = [("core" if "FROM lineage_inner_runs" in sql else "index", set(params["frontier"]))
               for sql, params in recorded if "FROM lineage_inner_runs" in sql or "FROM lineage_edges" in sql]
    levels = _levels(columns, rows)
    assert [frontier for kind, frontier in lookups if kind == "core"] == levels
    for (kind, frontier), (next_kind, next_frontier) in zip(lookups, lookups[1:] + [("core", set())]):
        if next_kind == "index":  # the runs of a level the core did not hold, right after its core lookup
            assert kind == "core" and next_frontier < frontier


def test_trace_forward_with_a_depth_looks_up_only_the_levels_it_shows(both, recorded):
    columns, rows, _ = answers(both[1], "trace forward 'clean.parquet' depth 1")
    frontiers = [set(params["frontier"]) for sql, params in recorded if "FROM lineage_dependents" in sql]
    readers = {row[columns.index("run_id")] for row in rows if row[columns.index("depth")] == 0}
    assert frontiers == [readers]  # depth 1: the readers' dependents, and no level below


@pytest.mark.parametrize("text", WALKS)
def test_long_frontiers_are_read_from_a_temp_view_with_the_same_answer(both, recorded, monkeypatch, text):
    """Past `Steps.LONG_LIST` runs a lookup is a semi-join; on Spark it reads the list from a temp view."""
    monkeypatch.setattr(Steps, "LONG_LIST", 1)
    duck, spark = both
    expected = answers(duck, text)
    columns, rows, _ = answers(spark, text)
    assert columns == expected[0] and first_difference(rows, expected[1]) is None
    assert [sql for sql, _ in recorded if "IN (SELECT unnest($frontier))" in sql]


def _levels(columns: list[str], rows: list[tuple]) -> list[set[str]]:
    """The runs of a trace level by level from its root (breadth first, each run once), and the empty level the
    walk looks up last: its leaves."""
    run, parent = columns.index("run_id"), columns.index("parent_run_id")
    below: dict[str, set[str]] = {}
    for row in rows:
        below.setdefault(row[parent], set()).add(row[run])
    levels, seen = [below[None]], set(below[None])
    while levels[-1]:
        following = {child for node in levels[-1] for child in below.get(node, ())} - seen
        seen |= following
        levels.append(following)
    return levels[:-1]
