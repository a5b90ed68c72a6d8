"""A store both engines read, on the session-wide Spark session of tests/conftest.py: the small store of tests/oql
(compacted midway, so lineage reads the index and the raw files after it), plus sampled dataframes to compare, an
SLA that alerts, and a flag to review."""
from __future__ import annotations

from datetime import timedelta

import pytest

import obsql
from obsql.engine.session import Engine
from tests.oql.conftest import T0, build


class Accurate(obsql.Component):
    """A model whose accuracy must stay at 0.7 or more: its second run breaks the SLA, which opens an alert."""


def add_compared_frames(store: obsql.Store) -> None:
    """`live` logs a frame a day for 6 days; `amount` moves from day 3 (compare ... on drift(*) finds it)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    for day in range(6):
        batch = pl.DataFrame({"amount": rng.normal(3.0 if day >= 3 else 0.0, 1.0, 60),
                              "city": rng.choice(["nyc", "sf"], 60)})
        with obsql.run("live", start=T0 + timedelta(days=day)) as r:
            r.add_input(batch, "features")


def add_alert(store: obsql.Store) -> None:
    model = Accurate("scored", slas={"accuracy": ">= 0.7"})
    for day, accuracy in ((6, 0.9), (7, 0.5)):
        with obsql.run(model, start=T0 + timedelta(days=day), end=T0 + timedelta(days=day, minutes=5)) as r:
            r.log_metric("accuracy", accuracy)


@pytest.fixture(scope="session")
def both(tmp_path_factory, spark):
    """(DuckDB engine, Spark engine) over one store."""
    store = build(tmp_path_factory.mktemp("spark") / "store", compact_midway=True)
    add_compared_frames(store)
    add_alert(store)
    store.flush()
    store.flag("pred-1")
    from obsql.spark.reader import spark_reader_factory

    yield store.engine, Engine(store.files, reader_factory=spark_reader_factory(spark))
    store.close()
