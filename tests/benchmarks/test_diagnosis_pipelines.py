"""The diagnosis benchmark's simulated pipelines log well-formed stores: every declared component runs, predictions
get late labels, and an injected null spike shows in the source's logged null share on the fault days only."""
from __future__ import annotations

import sys
from datetime import timedelta

import pytest

import obsql
from tests.helpers import BENCHMARKS

if str(BENCHMARKS) not in sys.path:  # the package is imported by its name from benchmarks/, as bench_diagnosis.py does
    sys.path.insert(0, str(BENCHMARKS))

import diagnosis as pipelines  # noqa: E402

DAYS = 16
FAULT_START_DAY = 5


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """(pipeline, fault) -> (store path, ground truth), for the control and a null spike from day 5 of 16."""
    root = tmp_path_factory.mktemp("diagnosis")
    made = {}
    for pipeline in pipelines.PIPELINES:
        for fault in ("none", "null_spike"):
            path = root / f"{pipeline}-{fault}"
            made[pipeline, fault] = path, pipelines.simulate(pipeline, fault, path, days=DAYS, seed=0,
                                                             fault_start_day=FAULT_START_DAY)
    return made


def rows(path, text: str) -> list[tuple]:
    store = obsql.connect(path)
    try:
        return store.query(text).rows
    finally:
        store.close()


@pytest.mark.parametrize("pipeline", list(pipelines.PIPELINES))
@pytest.mark.parametrize("fault", ["none", "null_spike"])
def test_every_declared_component_has_runs(stores, pipeline, fault):
    path, _ = stores[pipeline, fault]
    spec = pipelines.PIPELINES[pipeline]
    runs = {component: count for component, *_, count, _failed, _stale, _first, _last in rows(path, "components")}
    assert set(runs) == set(spec.components)
    assert all(count > 0 for count in runs.values())
    assert runs[spec.scoring_component] == DAYS


@pytest.mark.parametrize("pipeline", list(pipelines.PIPELINES))
def test_predictions_carry_scores_and_late_labels(stores, pipeline):
    path, truth = stores[pipeline, "none"]
    history = rows(path, f"history {truth.scoring_component} metric outputs, labeled")
    assert len(history) == DAYS
    assert all(outputs >= 100 for _, _, outputs, _ in history)
    labelled = sum(labeled for *_, labeled in history) / sum(outputs for _, _, outputs, _ in history)
    assert 0.5 < labelled < 1.0  # labels come back for most predictions, never for all
    scores = rows(path, f"trace outputs of {truth.scoring_component} where value is not null | limit 1")
    assert scores


@pytest.mark.parametrize("pipeline", list(pipelines.PIPELINES))
def test_the_null_spike_shows_in_its_sources_null_share_on_the_fault_days(stores, pipeline):
    path, truth = stores[pipeline, "null_spike"]
    assert truth.start == pipelines.PIPELINES[pipeline].first_day + timedelta(days=FAULT_START_DAY)
    assert truth.end is not None and truth.start < truth.end
    nulls = {start.date(): share for start, _, share in
             rows(path, f"history {truth.component} metric null_frac({truth.column})")}
    during = [share for day, share in nulls.items() if truth.start <= day < truth.end]
    outside = [share for day, share in nulls.items() if not truth.start <= day < truth.end]
    assert len(during) == (truth.end - truth.start).days and outside
    assert min(during) > 0.4
    assert max(outside) < 0.1


@pytest.mark.parametrize("pipeline", list(pipelines.PIPELINES))
def test_the_control_names_no_component_and_the_fault_names_its_source(stores, pipeline):
    control = stores[pipeline, "none"][1]
    spiked = stores[pipeline, "null_spike"][1]
    assert control.component is None and control.column is None and control.end is None
    assert (spiked.component, spiked.column) == pipelines.PIPELINES[pipeline].faults["null_spike"][:2]
    assert spiked.scoring_component == control.scoring_component


@pytest.mark.parametrize("pipeline", list(pipelines.PIPELINES))
def test_a_fault_leaves_what_it_is_not_about_as_it_was(stores, pipeline):
    """The same seed gives the same data except where the fault is: before the spike, every logged column summary
    of the two stores matches."""
    before = pipelines.PIPELINES[pipeline].first_day + timedelta(days=FAULT_START_DAY)
    summaries = f"""sql select component, date_trunc('minute', start_time), pointer, column_name, count, nulls,
        round(mean, 9)
        from summaries where start_time < '{before}' order by all"""
    assert rows(stores[pipeline, "none"][0], summaries) == rows(stores[pipeline, "null_spike"][0], summaries)


@pytest.mark.parametrize("fault", pipelines.FAULTS)
def test_fault_dates_fall_in_the_second_half_and_follow_the_seed(fault):
    first, days = pipelines.FRAUD_FIRST_DAY, pipelines.DEFAULT_DAYS
    starts = {pipelines.plan_fault("fraud", fault, first, days, seed).start for seed in range(8)}
    assert len(starts) > 1
    assert all(first + timedelta(days=days // 2) <= start < first + timedelta(days=days) for start in starts)
    assert pipelines.plan_fault("fraud", fault, first, days, 3) == pipelines.plan_fault("fraud", fault, first, days, 3)


def test_a_store_is_only_written_into_an_empty_directory(stores):
    path, _ = stores["fraud", "none"]
    with pytest.raises(ValueError, match="not empty"):
        pipelines.simulate("fraud", "none", path, days=1)
