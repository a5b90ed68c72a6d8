"""`compare ... on drift(*)` on Spark: the engine counts values, nulls, distinct values, categories and the
Kolmogorov-Smirnov gap where the samples lie, and answers as DuckDB does, row for row."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import obsql
from obsql.engine.session import Engine
from tests.helpers import DRIFT_FEED_QUERY, DRIFT_FEED_ROWS, log_drift_feed
from tests.spark.test_same_answers import first_difference

pytestmark = pytest.mark.spark


def test_drift_counted_by_spark_is_duckdbs(tmp_path, spark):
    from obsql.spark.reader import spark_reader_factory

    store = obsql.connect(tmp_path / "store", sample_rows=DRIFT_FEED_ROWS)
    log_drift_feed(datetime(2020, 1, 1, tzinfo=timezone.utc))
    store.flush()
    on_spark = Engine(store.files, reader_factory=spark_reader_factory(spark))
    try:
        duck = list(store.engine.run(DRIFT_FEED_QUERY)[-1].rows)
        assert len(duck) > 10
        assert first_difference(list(on_spark.run(DRIFT_FEED_QUERY)[-1].rows), duck) is None
    finally:
        store.close()
