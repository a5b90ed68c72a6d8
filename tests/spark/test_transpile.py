"""Each rewrite of DuckDB SQL for Spark (obsql/spark/transpile.py) gives on Spark what DuckDB gives on DuckDB."""
from __future__ import annotations

import duckdb
import pytest

from obsql.spark.params import bind
from obsql.spark.reader import reading_session
from obsql.spark.results import python_rows
from obsql.spark.transpile import to_spark
from obsql.storage.reader import read_parquet_sql

LISTS = "SELECT * FROM (VALUES (1, 'b', 2.0), (2, 'a', NULL), (3, 'c', 4.0)) AS t(k, name, x)"

# (a DuckDB query, the construct it checks)
SAME_VALUES = [
    (f"SELECT list(name ORDER BY name) AS names FROM ({LISTS})", "list ordered"),
    (f"SELECT list(x ORDER BY k DESC) AS xs FROM ({LISTS})", "list ordered, descending, nulls kept"),
    (f"SELECT list(name ORDER BY k) FILTER (WHERE k > 1) AS names FROM ({LISTS})", "list ordered and filtered"),
    ("SELECT [1, 2, 3, 4][2:3] AS middle, [1, 2, 3][:2] AS head, [1, 2, 3][2] AS second", "slices, an index"),
    ("SELECT list_slice([1, 2, 3, 4], 2, 4) AS tail", "list_slice"),
    ("SELECT [1, 2][5] AS past_the_end", "an index past the end is null"),
    ("SELECT len(stale_reasons) AS n FROM (SELECT ['a', 'b'] AS stale_reasons)", "len of a list column"),
    ("SELECT len(own) AS n FROM (SELECT coalesce(NULL, ['a']) AS own)", "len of a list the query names"),
    ("SELECT len('abc') AS n", "len of a string stays length"),
    ("SELECT list_avg([1.0, NULL, 4.0]) AS mean, list_avg(CAST([] AS DOUBLE[])) AS none", "list_avg"),
    ("SELECT md5_number_lower('pred-1') AS lower, md5_number_upper('pred-1') AS upper, "
     "md5_number_lower('abc') % 64 AS bucket", "md5_number_lower, md5_number_upper"),
    ("SELECT 300 / 1000.0 AS seconds, avg(CASE WHEN k > 1 THEN 1.0 ELSE 0.0 END) AS share "
     f"FROM ({LISTS})", "division and mean of decimals are doubles"),
    (f"SELECT quantile_cont(k, 0.5) AS median FROM ({LISTS})", "quantile_cont"),
    (f"SELECT count(*) AS n FROM (SELECT k FROM ({LISTS}) USING SAMPLE reservoir(10 ROWS) REPEATABLE (1))",
     "a reservoir sample larger than its rows keeps them all"),
]


@pytest.fixture(scope="module")
def reading(spark):
    """A session set as the Spark reader sets its own."""
    return reading_session(spark)


@pytest.mark.spark
@pytest.mark.parametrize("sql", [pytest.param(sql, id=why) for sql, why in SAME_VALUES])
def test_spark_gives_what_duckdb_gives(reading, sql):
    expected = duckdb.sql(sql).fetchall()
    assert python_rows(reading.sql(to_spark(sql).text).toArrow()) == expected


def test_read_parquet_becomes_a_relation_and_long_names_are_left_to_it():
    listing = read_parquet_sql(["/s/runs/component=abc/date=2020-01-01/f.parquet"], ["component", "date"], True,
                               {"abc": "abc-long"})
    translated = to_spark(f"SELECT * FROM {listing} AS r JOIN read_parquet('/s/lineage/runs.parquet') AS q ON true")
    hive, index = translated.relations
    assert (hive.paths, hive.hive) == (("/s/runs/component=abc/date=2020-01-01/f.parquet",), True)
    assert (index.paths, index.hive) == (("/s/lineage/runs.parquet",), False)
    assert translated.text == f"SELECT * FROM (SELECT * FROM {hive.name}) AS r JOIN {index.name} AS q ON TRUE"


def test_the_same_files_are_the_same_relation_and_texts_are_translated_once():
    sql = "SELECT * FROM read_parquet('/s/lineage/runs.parquet')"
    assert to_spark(sql) is to_spark(sql)
    assert to_spark(sql).relations == to_spark(sql + " LIMIT 1").relations


def test_parameters_stay_parameters():
    text = to_spark("SELECT * FROM runs WHERE list_contains($frontier, run_id) AND start_time >= $since").text
    assert text == "SELECT * FROM runs WHERE ARRAY_CONTAINS(:frontier, run_id) AND start_time >= :since"


@pytest.mark.spark
def test_dates_times_and_empty_lists_bind_as_duckdb_binds_them(reading):
    from datetime import date, datetime, timedelta, timezone

    values = {"day": date.min, "moment": datetime(1, 1, 1, tzinfo=timezone.utc),
              "now": datetime(2020, 3, 1, 12, 30, 0, 5, tzinfo=timezone.utc), "none": [], "ids": ["a"],
              "took": timedelta(seconds=90)}
    sql = "SELECT $day AS day, $moment AS moment, $now AS now, list_contains($none, 'a') AS none, $ids AS ids, $took AS took"
    expected = duckdb.execute(sql, values).fetchall()
    text, args = bind(to_spark(sql).text, values)
    assert python_rows(reading.sql(text, args=args).toArrow()) == expected


def test_a_semi_join_over_a_bound_list_reads_the_list_from_its_temp_view():
    translated = to_spark("SELECT run_id FROM lineage_edges WHERE run_id IN (SELECT unnest($frontier))")
    assert translated.lists == ("frontier",)
    assert translated.text == "SELECT run_id FROM lineage_edges WHERE run_id IN (SELECT value FROM __list_frontier)"
    assert to_spark("SELECT unnest($frontier) AS run_id").lists == ()  # a list read as rows stays a parameter


@pytest.mark.spark
def test_a_membership_test_gets_its_lists_range_which_spark_pushes_into_the_scan(reading):
    """Spark does not push array_contains into a Parquet scan; a range it does, so a walk's step over a sorted
    index file reads the row groups that may hold its ids, not the file."""
    sql = "SELECT x FROM (SELECT unnest(range(40)::VARCHAR[]) AS x) AS t WHERE list_contains($ids, x) " \
          "AND list_contains($few, x) AND NOT list_contains($none, x)"
    values = {"ids": [str(n) for n in range(30, 3, -2)], "few": ["8", "4", "30", "31"], "none": []}
    text, args = bind(to_spark(sql).text, values)
    assert "x BETWEEN :ids_least AND :ids_greatest AND ARRAY_CONTAINS(:ids, x)" in text
    assert (args["ids_least"], args["ids_greatest"]) == ("10", "8") and "none_least" not in args  # nothing to range
    assert "(x IN (:few_0, :few_1, :few_2, :few_3))" in text and args["few_2"] == "30"  # a few: Spark pushes each
    expected = sorted(duckdb.execute(sql, values).fetchall())
    assert sorted(python_rows(reading.sql(text, args=args).toArrow())) == expected == [("30",), ("4",), ("8",)]
