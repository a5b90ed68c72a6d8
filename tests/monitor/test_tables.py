"""The drift table: its shape, the method chosen per column, and agreement with the single statistics."""
import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from obsql.monitor import chi2, drift, jensen_shannon, ks
from obsql.monitor.tables import SCHEMA


def frames(n_reference, n_current, seed=0):
    rng = np.random.default_rng(seed)
    reference = {"x": rng.normal(size=n_reference), "k": rng.integers(0, 5, n_reference),
                 "city": rng.choice(["a", "b", "c"], n_reference)}
    current = {"x": rng.normal(0.3, 1, size=n_current), "k": rng.integers(0, 6, n_current),
               "city": rng.choice(["a", "b", "c", "d"], n_current)}
    return pl.DataFrame(reference), pl.DataFrame(current)


def test_one_row_per_shared_column_with_the_documented_columns():
    reference, current = frames(200, 150)
    table = drift(reference.with_columns(only_here=pl.lit(1)), current)
    assert dict(table.schema) == SCHEMA
    assert table["column"].to_list() == ["x", "k", "city"]
    assert table["kind"].to_list() == ["numeric", "numeric", "categorical"]


@pytest.mark.parametrize("n_reference, n_current, expected", [
    (200, 150, {"x": ("ks", "p_value"), "city": ("chi2", "p_value")}),
    (1000, 5000, {"x": ("ks", "p_value"), "city": ("chi2", "p_value")}),
    (5000, 1001, {"x": ("ks", "effect_size"), "city": ("jensen_shannon", "effect_size")}),
    (20_000, 20_000, {"x": ("ks", "effect_size"), "city": ("jensen_shannon", "effect_size")}),
])
def test_method_is_chosen_by_type_and_size(n_reference, n_current, expected):
    table = drift(*frames(n_reference, n_current), columns=["x", "city"])
    chosen = {row["column"]: (row["method"], row["decided_by"]) for row in table.iter_rows(named=True)}
    assert chosen == expected


@pytest.mark.parametrize("n_reference, n_current", [(300, 200), (3000, 2000)])
def test_rows_agree_with_the_single_statistics(n_reference, n_current):
    reference, current = frames(n_reference, n_current, seed=3)
    rows = {row["column"]: row for row in drift(reference, current).iter_rows(named=True)}
    categorical = chi2 if min(n_reference, n_current) <= 1000 else jensen_shannon
    for name, statistic in (("x", ks), ("k", ks), ("city", categorical)):
        expected = statistic(reference[name], current[name])
        assert rows[name]["statistic"] == expected.statistic
        assert rows[name]["p_value"] == expected.p_value
        assert rows[name]["drifted"] == expected.drifted


@pytest.mark.parametrize("convert", [
    lambda f: f, lambda f: f.to_arrow(), lambda f: {c: f[c].to_numpy() for c in f.columns},
    lambda f: {c: f[c].to_list() for c in f.columns}, lambda f: pa.Table.from_pylist(f.to_dicts()),
])
def test_accepts_polars_arrow_and_dicts(convert):
    reference, current = frames(300, 250)
    assert drift(convert(reference), convert(current)).equals(drift(reference, current))


def test_accepts_pandas():
    pd = pytest.importorskip("pandas")
    reference, current = frames(300, 250)
    assert drift(reference.to_pandas(), current.to_pandas()).equals(drift(reference, current))


def test_nulls_are_dropped_and_counted_and_an_empty_side_gives_no_verdict():
    reference = pl.DataFrame({"x": [1.0, None, float("nan"), 2.0, 3.0], "gone": [None] * 5},
                             schema={"x": pl.Float64, "gone": pl.Float64})
    current = pl.DataFrame({"x": [2.0, 5.0, None], "gone": [1.0, 2.0, 3.0]})
    table = drift(reference, current)
    rows = {row["column"]: row for row in table.filter(pl.col("method").ne_missing("null_share")).iter_rows(named=True)}
    assert table.filter(pl.col("method") == "null_share")["column"].to_list() == ["x", "gone"]
    assert (rows["x"]["n_reference"], rows["x"]["nulls_reference"], rows["x"]["nulls_current"]) == (3, 2, 1)
    assert rows["x"]["statistic"] == ks([1.0, 2.0, 3.0], [2.0, 5.0]).statistic
    assert rows["gone"]["method"] is None and rows["gone"]["drifted"] is None
    assert (rows["gone"]["n_reference"], rows["gone"]["nulls_reference"], rows["gone"]["n_current"]) == (0, 5, 3)


def test_a_column_that_changed_type_is_compared_as_categories():
    table = drift({"v": [1, 2, 2, 3]}, {"v": ["1", "2", "x"]})
    assert table.row(0, named=True)["kind"] == "categorical"
    assert table.row(0, named=True)["method"] == "chi2"


def test_named_columns_must_exist_on_both_sides():
    reference, current = frames(50, 50)
    with pytest.raises(KeyError, match="nope"):
        drift(reference, current, columns=["x", "nope"])


def test_many_wide_columns_each_get_their_own_row():
    rng = np.random.default_rng(5)
    reference = pl.DataFrame({f"c{i}": rng.normal(size=20_000) for i in range(12)})
    current = pl.DataFrame({f"c{i}": rng.normal(0.3 if i % 4 == 0 else 0.0, 1, size=20_000) for i in range(12)})
    table = drift(reference, current)
    assert table["drifted"].to_list() == [i % 4 == 0 for i in range(12)]


def test_identifier_columns_are_reported_as_such_and_never_drift():
    rng = np.random.default_rng(3)
    reference = pl.DataFrame({"txn_id": [f"t-{i}" for i in range(500)], "customer_id": np.arange(500),
                              "amount_cents": rng.integers(0, 10**7, 500), "x": rng.normal(size=500)})
    current = pl.DataFrame({"txn_id": [f"t-{i}" for i in range(500, 1000)], "customer_id": np.arange(500, 1000),
                            "amount_cents": rng.integers(0, 10**7, 500), "x": rng.normal(size=500)})
    rows = {row["column"]: row for row in drift(reference, current).iter_rows(named=True)}
    assert {name for name, row in rows.items() if row["method"] == "identifier"} == {"txn_id", "customer_id"}
    assert rows["txn_id"]["drifted"] is False and rows["customer_id"]["statistic"] is None
    assert rows["amount_cents"]["method"] == "ks"  # an integer nearly all distinct, but not named as a key
    declared = drift(reference, current, identifiers=["x"]).filter(pl.col("column") == "x")
    assert declared["method"].to_list() == ["identifier"]


def test_a_text_column_with_few_values_is_a_category_not_an_identifier():
    reference = pl.DataFrame({"city": ["a", "b", "c"] * 100})
    current = pl.DataFrame({"city": ["a", "b", "d"] * 100})
    assert drift(reference, current)["method"].to_list() == ["chi2"]


def test_a_column_going_mostly_null_has_drifted_even_if_its_values_did_not():
    rng = np.random.default_rng(4)
    before = rng.normal(size=2000)
    after = rng.normal(size=2000)
    after[rng.random(2000) < 0.6] = np.nan
    table = drift(pl.DataFrame({"fare": before}), pl.DataFrame({"fare": after}))
    rows = {row["method"]: row for row in table.iter_rows(named=True)}
    assert rows["ks"]["drifted"] is False
    assert rows["null_share"]["drifted"] is True and rows["null_share"]["statistic"] == pytest.approx(0.6, abs=0.05)
