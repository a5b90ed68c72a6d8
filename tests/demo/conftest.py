"""Shared demo data: four months of simulated trips, and the default demo store, each made once per test session."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from obsql.demo.pipeline import DEFAULT_DAYS, run_demo
from obsql.demo.taxi import generate_trips


@pytest.fixture(scope="session")
def trips() -> pl.DataFrame:
    """January to April 2020: before and after the broken meter, the lockdown and the tip shift."""
    return generate_trips(datetime(2020, 1, 1), datetime(2020, 5, 1), seed=0)


@pytest.fixture(scope="session")
def between(trips: pl.DataFrame) -> Callable[[date, date], pl.DataFrame]:
    """The trips picked up on days first .. last (inclusive)."""

    def select(first: date, last: date) -> pl.DataFrame:
        return trips.filter(pl.col("tpep_pickup_datetime").dt.date().is_between(first, last))

    return select


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """`obsql demo` at its default size (about half a minute)."""
    path = tmp_path_factory.mktemp("demo") / "store"
    run_demo(path, days=DEFAULT_DAYS, progress=False)
    return path
