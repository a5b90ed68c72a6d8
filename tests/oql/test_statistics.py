"""`compare ... on drift(*)` and `on adversarial(*)`: distributions compared from the rows the store sampled."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

import obsql
from obsql.errors import ObsqlError
from tests.helpers import DRIFT_FEED_QUERY, DRIFT_FEED_ROWS, log_drift_feed

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def shifted(tmp_path):
    """Batches of features logged by `live` for 20 days; `amount` moves by 3 standard deviations from day 10."""
    store = obsql.connect(tmp_path / "store", sample_rows=200)
    rng = np.random.default_rng(0)
    for day in range(20):
        batch = pl.DataFrame({"amount": rng.normal(3.0 if day >= 10 else 0.0, 1.0, 200),
                              "hour": rng.integers(0, 24, 200).astype(float),
                              "city": rng.choice(["nyc", "sf"], 200)})
        with obsql.run("live", start=T0 + timedelta(days=day)) as r:
            r.add_input(batch, "features")
    yield store
    store.close()


BEFORE_AFTER = "compare live until @2020-01-10 with live since @2020-01-11"


def test_drift_finds_the_column_that_moved_and_only_that(shifted):
    rows = shifted.query(f"{BEFORE_AFTER} on drift(*) | select column, kind, method, drifted").rows
    assert rows[0][:1] == ("amount",) and rows[0][3] is True
    assert {r[0]: r[3] for r in rows} == {"amount": True, "hour": False, "city": False}
    assert {r[0]: r[1] for r in rows}["city"] == "categorical"


def test_a_boolean_column_drifts_as_categories_not_as_numbers(tmp_path):
    """A fraud flag whose share of true goes from 5% to 40%: compared as true/false counts, by chi-squared."""
    store = obsql.connect(tmp_path / "store", sample_rows=300)
    rng = np.random.default_rng(1)
    for day in range(12):
        share = 0.4 if day >= 6 else 0.05
        batch = pl.DataFrame({"flagged": rng.random(300) < share, "amount": rng.normal(0, 1, 300)})
        with obsql.run("scorer", start=T0 + timedelta(days=day)) as r:
            r.add_input(batch, "transactions")
    rows = store.query("compare scorer until @2020-01-06 with scorer since @2020-01-07 on drift(*) "
                       "| select column, kind, method, drifted").rows
    store.close()
    flagged = {row[0]: row for row in rows}["flagged"]
    assert flagged[2] in ("chi_squared", "jensen_shannon") and flagged[3] is True
    assert {row[0]: row[3] for row in rows}["amount"] is False


def test_drift_of_named_columns(shifted):
    assert shifted.query(f"{BEFORE_AFTER} on drift(hour) | select column").rows == [("hour",)]
    with pytest.raises(ObsqlError, match="not sampled on both sides"):
        shifted.query(f"{BEFORE_AFTER} on drift(nope)")


def test_compare_on_columns_shows_the_shift_in_the_summaries(shifted):
    rows = shifted.query(f"{BEFORE_AFTER} on amount, hour | select column_name, mean_shift_sd").rows
    assert [name for name, _ in rows] == ["amount", "hour"] and rows[0][1] > 2 and abs(rows[1][1]) < 0.5


def test_compare_on_a_column_never_logged_names_it_with_the_nearest(shifted):
    with pytest.raises(ObsqlError) as caught:
        shifted.query(f"{BEFORE_AFTER} on amount, amuont")
    assert caught.value.kind == "name" and "no column 'amuont'" in caught.value.message
    assert caught.value.suggestion == "did you mean 'amount'?"
    assert caught.value.column == len(BEFORE_AFTER) + len(" on amount, ") + 1


def test_adversarial_validation_ranks_the_separating_feature_first(shifted):
    classifier, first, *others = shifted.query(f"{BEFORE_AFTER} on adversarial(*)").to_dicts()
    assert (classifier["rank"], classifier["feature"], classifier["importance"]) == (0, "(all features)", None)
    assert classifier["auc"] > 0.9 and 0 < classifier["loss"] < 0.693
    assert first["feature"] == "amount" and first["rank"] == 1 and first["importance"] > 0
    assert all(row["auc"] is None and row["loss"] is None for row in [first, *others])  # said once, not per row


def test_no_shift_gives_chance_auc(shifted):
    result = shifted.query("compare live until @2020-01-05 with live between @2020-01-05 and @2020-01-10 "
                           "on adversarial(*)").to_dicts()
    assert 0.35 < result[0]["auc"] < 0.65


def test_expect_gates_on_drift(shifted):
    assert shifted.query(f"expect {BEFORE_AFTER} on drift(*) | where drifted is empty").passed is False


def test_statistics_need_sampled_rows(shifted):
    with obsql.run("empty", start=T0):
        pass
    with pytest.raises(ObsqlError, match="no sampled rows"):
        shifted.query("compare live with empty on drift(*)")


@pytest.fixture
def orders(tmp_path):
    """An order-scoring feed logged daily for 20 days: keys on every row (a request uuid, an integer order id),
    when each order was placed, a category, and `discount`, which goes 60% missing from day 10 while its values
    stay put."""
    store = obsql.connect(tmp_path / "store", sample_rows=300)
    rng = np.random.default_rng(1)
    for day in range(20):
        discount = rng.normal(10.0, 2.0, 300)
        discount[rng.random(300) < (0.6 if day >= 10 else 0.01)] = np.nan
        batch = pl.DataFrame({"request_uuid": [f"{day:02d}-{i:04d}-{rng.integers(1 << 30):x}" for i in range(300)],
                              "order_id": np.arange(day * 300, (day + 1) * 300),
                              "ordered_at": [T0 + timedelta(days=day, seconds=60 * i) for i in range(300)],
                              "basket": rng.normal(50.0, 10.0, 300), "discount": discount,
                              "channel": rng.choice(["web", "app", "store"], 300)})
        with obsql.run("orders", start=T0 + timedelta(days=day)) as r:
            r.add_input(batch, "orders")
    yield store
    store.close()


ORDERS_BEFORE_AFTER = "compare orders until @2020-01-10 with orders since @2020-01-11"


def test_keys_and_times_never_drift_and_come_last(orders):
    rows = orders.query(f"{ORDERS_BEFORE_AFTER} on drift(*) | select column, method, drifted").rows
    assert sorted(rows[-3:]) == [("order_id", "identifier", False), ("ordered_at", "time", False),
                                 ("request_uuid", "identifier", False)]
    assert {(c, m) for c, m, d in rows if d} == {("discount", "null_share")}


def test_a_time_column_named_is_tested_like_any_other(orders):
    rows = orders.query(f"{ORDERS_BEFORE_AFTER} on drift(ordered_at) | select column, method, drifted").rows
    assert rows == [("ordered_at", "ks", True)]


def test_a_column_going_mostly_missing_is_drift_and_comes_first(orders):
    first = orders.query(f"{ORDERS_BEFORE_AFTER} on drift(*) | limit 1").to_dicts()[0]
    assert (first["column"], first["method"], first["drifted"]) == ("discount", "null_share", True)
    assert first["statistic"] == pytest.approx(0.59, abs=0.05)


def test_drift_except_leaves_columns_out(orders):
    rows = orders.query(f"{ORDERS_BEFORE_AFTER} on drift(* except discount, request_uuid) | select column").rows
    assert {column for (column,) in rows} == {"order_id", "ordered_at", "basket", "channel"}
    with pytest.raises(ObsqlError, match="not sampled on both sides"):
        orders.query(f"{ORDERS_BEFORE_AFTER} on drift(* except nope)")
    with pytest.raises(ObsqlError, match="drift"):
        orders.query("runs | select count(* except x)")


def test_adversarial_leaves_keys_out(orders):
    features = [row["feature"] for row in orders.query(f"{ORDERS_BEFORE_AFTER} on adversarial(*)").to_dicts()]
    assert not any(f.startswith(("request_uuid", "order_id", "ordered_at")) for f in features)
    assert features[:2] == ["(all features)", "discount is null"]
    kept = orders.query(f"{ORDERS_BEFORE_AFTER} on adversarial(* except discount)").to_dicts()
    assert not any(row["feature"].startswith("discount") for row in kept)


def test_plain_compare_orders_by_the_largest_change_of_any_kind(orders):
    rows = orders.query(f"{ORDERS_BEFORE_AFTER} | select column_name, change, change_kind").rows
    assert rows[0][0] == "discount" and rows[0][2] == "nulls" and rows[0][1] > 1.0
    kinds = {name: kind for name, _, kind in rows}
    assert kinds["request_uuid"] == "identifier" and kinds["order_id"] == "identifier"
    assert kinds["ordered_at"] == "time"
    assert sorted(name for name, _, _ in rows[-3:]) == ["order_id", "ordered_at", "request_uuid"]


def test_drift_from_the_engines_counts_is_monitor_drift_of_the_same_rows(tmp_path):
    """The engine counts what each test needs rather than pivoting the samples (so that Spark computes it); the
    answer must be `obsql.monitor.drift` of the very rows logged, row for row (see `log_drift_feed`)."""
    from obsql.engine.drift import _drift_order
    from obsql.monitor import drift

    store = obsql.connect(tmp_path / "store", sample_rows=DRIFT_FEED_ROWS)
    before, after = log_drift_feed(T0)
    rows = store.query(DRIFT_FEED_QUERY).rows
    store.close()
    logged = sorted(name for name in before.columns if name != "batch")
    expected = sorted(drift(before, after, logged, batch="batch").rows(), key=_drift_order)
    assert [row[:3] for row in rows] == [row[:3] for row in expected]
    for row, wanted in zip(rows, expected):
        assert list(row) == [
            pytest.approx(w, rel=1e-9, nan_ok=True) if isinstance(w, float) else w for w in wanted], row[0]
    methods = {(row[0], row[2]) for row in rows}
    assert {("amount", "ks"), ("city", "jensen_shannon"), ("order_id", "identifier"), ("request", "identifier"),
            ("small", "null_share"), ("late", "null_share"), ("rare", "chi2"), ("count", "ks"),
            ("mixed", "jensen_shannon"), ("flag", "jensen_shannon")} <= methods
    effects = {(row[0], row[2]): row[-1] for row in rows}
    assert effects[("weekday", "chi2")] > 100 and effects[("daily", "ks")] > 100  # set per batch: weighed by days
    assert effects[("amount", "ks")] == effects[("city", "jensen_shannon")] == 1.0  # independent rows
