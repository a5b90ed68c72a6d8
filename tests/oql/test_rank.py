"""`| rank runs` and `review` rank by over-representation, not raw coverage, on a credit-scoring pipeline:

    bureau (day 0, loaded once) -> bureau.parquet, read by every scoring run
    ingest (each day d) -> apps-<d>.parquet
    encode (days 0 and 5) -> encoder-v0, encoder-v5: the day-5 refit is the fault
    score (each day d) reads bureau.parquet, apps-<d>.parquet and the newest encoder -> app-<d>-<i>, 20 a day
    labels: 2 of the 20 confident predictions a day are wrong before day 5, 8 of 20 from day 5

The bureau table and every day's ingest are in the traces of bad outputs as of good ones; the day-5 encoder is in
every bad trace from day 5, and only there. Raw coverage puts the bureau table first; the ranking must not.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from scipy.stats import hypergeom

import obsql

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=12)
DAYS, PER_DAY, FAULT_DAY = 10, 20, 5
WRONG = "value > 0.5 and label = 0"


def _run(component: str, day: float, inputs: list[str], outputs: list[str], values=None) -> None:
    start = T0 + timedelta(days=day)
    with obsql.run(component, inputs=inputs, start=start, end=start + timedelta(minutes=5)) as run:
        run.add_output(outputs, values=values)


@pytest.fixture(scope="module")
def credit(tmp_path_factory) -> obsql.Store:
    store = obsql.connect(tmp_path_factory.mktemp("credit") / "store")
    _run("bureau", 0, ["s3://bureau/dump.csv"], ["bureau.parquet"])
    ids, labels = [], []
    for day in range(DAYS):
        _run("ingest", day + 0.1, [f"s3://apps/{day}.csv"], [f"apps-{day}.parquet"])
        if day in (0, FAULT_DAY):
            _run("encode", day + 0.2, [f"apps-{day}.parquet"], [f"encoder-v{day}"])
        encoder = f"encoder-v{0 if day < FAULT_DAY else FAULT_DAY}"
        outputs = [f"app-{day}-{i:02d}" for i in range(PER_DAY)]
        _run("score", day + 0.5, ["bureau.parquet", f"apps-{day}.parquet", encoder], outputs, values=[0.9] * PER_DAY)
        wrong = 8 if day >= FAULT_DAY else 2
        ids += outputs
        labels += [0] * wrong + [1] * (PER_DAY - wrong)
    store.log_feedback(ids, labels, ts=NOW - timedelta(days=1))
    store.flush()
    return store


def answer(store: obsql.Store, text: str) -> list[dict]:
    return store.engine.run(text, now=NOW)[-1].to_dicts()


def test_the_refit_only_bad_outputs_share_comes_first_not_the_table_all_share(credit):
    ranked = answer(credit, f"trace outputs of score where {WRONG} | rank runs")
    first = ranked[0]
    assert (first["component"], first["start_time"]) == ("encode", T0 + timedelta(days=FAULT_DAY, hours=4.8))
    bureau = next(r for r in ranked if r["component"] == "bureau")
    assert bureau["coverage"] == 1.0 and bureau["lift"] == pytest.approx(1.0) and bureau["score"] == 0.0
    assert first["lift"] > 1.5 and first["coverage"] == pytest.approx(40 / 50)


def test_one_scoring_run_with_a_high_lift_but_small_support_ranks_below_the_refit(credit):
    ranked = answer(credit, f"trace outputs of score where {WRONG} | rank runs")
    scoring = [r for r in ranked if r["component"] == "score"]
    refit = ranked[0]
    assert all(r["lift"] >= refit["lift"] * 0.99 for r in scoring if r["start_time"].day - 1 >= FAULT_DAY)
    assert all(r["score"] < refit["score"] for r in scoring)


def test_counts_lift_and_score_agree_with_the_traces_and_scipy(credit):
    ranked = answer(credit, f"trace outputs of score where {WRONG} | rank runs")
    bad, everything = _outputs_by_run(credit, f"where {WRONG}"), _outputs_by_run(credit, "")
    n, total = len(set().union(*bad.values())), len(set().union(*everything.values()))
    for row in ranked:
        k, baseline = len(bad[row["run_id"]]), len(everything[row["run_id"]])
        assert (row["outputs"], row["coverage"]) == (k, pytest.approx(k / n))
        assert row["baseline_coverage"] == pytest.approx(baseline / total)
        assert row["lift"] == pytest.approx((k / n) / (baseline / total))
        expected = -hypergeom.logsf(k - 1, total, baseline, n) / 2.302585092994046
        assert row["score"] == pytest.approx(max(expected, 0.0), abs=1e-9)
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)


def _outputs_by_run(store: obsql.Store, where: str) -> dict[str, set[str]]:
    traced = answer(store, f"trace outputs of score {where} | select pointer, run_id")
    found: dict[str, set[str]] = defaultdict(set)
    for row in traced:
        found[row["run_id"]].add(row["pointer"])
    return found


def test_against_names_the_baseline_slice(credit):
    ranked = answer(credit, f"trace outputs of score where {WRONG} | rank runs against label = 1")
    first = ranked[0]
    assert first["component"] == "encode" and first["start_time"].day - 1 == FAULT_DAY
    good_from_fault_day = (DAYS - FAULT_DAY) * (PER_DAY - 8)
    good = FAULT_DAY * (PER_DAY - 2) + good_from_fault_day
    assert first["baseline_coverage"] == pytest.approx(good_from_fault_day / good)


def test_a_slice_equal_to_its_baseline_ranks_by_coverage(credit):
    ranked = answer(credit, "trace outputs of score | rank runs")
    assert {r["score"] for r in ranked} == {0.0} and all(r["lift"] == pytest.approx(1.0) for r in ranked)
    assert ranked[0]["component"] == "bureau" and ranked[0]["coverage"] == 1.0


def test_review_ranks_flagged_outputs_against_their_components_outputs(credit):
    wrong = [row["pointer"] for row in answer(credit, f"trace outputs of score where {WRONG} | where depth = 0")]
    try:
        for pointer in wrong:
            credit.flag(pointer)
        ranked = answer(credit, "review")
        assert ranked[0]["component"] == "encode" and ranked[0]["start_time"].day - 1 == FAULT_DAY
        assert answer(credit, "review | select component, lift")[0] == {"component": "encode",
                                                                       "lift": ranked[0]["lift"]}
    finally:
        credit.engine.run("unflag all", now=NOW)



@pytest.fixture(scope="module")
def busy_credit(tmp_path_factory) -> obsql.Store:
    """The credit pipeline at 300 applications a day, compacted: the index then keeps a 1-in-64 sample of them."""
    store = obsql.connect(tmp_path_factory.mktemp("busy") / "store")
    _run("bureau", 0, ["s3://bureau/dump.csv"], ["bureau.parquet"])
    for day in range(DAYS):
        _run("ingest", day + 0.1, [f"s3://apps/{day}.csv"], [f"apps-{day}.parquet"])
        if day in (0, FAULT_DAY):
            _run("encode", day + 0.2, [f"apps-{day}.parquet"], [f"encoder-v{day}"])
        encoder = f"encoder-v{0 if day < FAULT_DAY else FAULT_DAY}"
        _run("score", day + 0.5, ["bureau.parquet", f"apps-{day}.parquet", encoder],
             [f"app-{day}-{i:03d}" for i in range(300)], values=[0.9] * 300)
    store.flush()
    from obsql.storage.compact import compact

    compact(store.files.root)
    return store


def test_a_long_span_draws_its_baseline_from_the_index_sample(busy_credit, monkeypatch):
    """Review of outputs flagged over ten days weighs them against a sample of the index's fixed one (not a scan
    of every output): the refit still comes first, and its baseline share is near the true 50%."""
    from obsql.engine import walks

    monkeypatch.setattr(walks, "MIN_BASELINE", 20)
    monkeypatch.setattr(walks, "BASELINE_PER_OUTPUT", 1)  # 32 flagged: a baseline of 32 of the ~47 sampled
    asked = []
    bind = walks.Steps._bind  # every step a walk runs is bound here
    monkeypatch.setattr(walks.Steps, "_bind", lambda self, name, params: asked.append(name) or bind(self, name, params))
    flagged = [f"app-{day}-{i:03d}" for day in range(FAULT_DAY, DAYS) for i in range(0, 300, 50)]
    flagged += ["app-0-007", "app-2-007"]  # a few from before the refit, as real flags are
    busy_credit.engine.run("; ".join(f"flag '{p}'" for p in flagged), now=NOW)
    try:
        asked.clear()
        ranked = answer(busy_credit, "review")
        assert "baseline_sample" in asked and "baseline" not in asked
        first = ranked[0]
        assert first["component"] == "encode" and first["start_time"].day - 1 == FAULT_DAY
        assert 0.3 < first["baseline_coverage"] < 0.7
    finally:
        busy_credit.engine.run("unflag all", now=NOW)
