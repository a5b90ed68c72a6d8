"""Trace semantics as mltrace users expect them, each on its own tiny store logged at explicit times.

A run depends on the newest version of each input that was written (its producer had ended) before the run began.
`trace` walks from a pointer's newest producer upstream; `trace forward` walks from a pointer's readers downstream.
A run reached a second time is listed once more, marked repeated, and not expanded again.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

import obsql
from obsql.engine import session
from tests.oql.conftest import answer, at


@pytest.fixture(autouse=True, params=["core in memory", "level by level"])
def walk_mode(request, monkeypatch):
    """Every case both ways a walk can go: through the in-memory core, or with a lookup per level (large stores)."""
    if request.param == "level by level":
        monkeypatch.setattr(session, "CORE_LIMIT", -1)
    else:
        monkeypatch.setattr(session, "CORE_FROM_WALK", 1)
    return request.param


def step(component: str, start, inputs=(), outputs=(), minutes: float = 5) -> None:
    """Log one run of `component` that began at `start` and lasted `minutes`."""
    with obsql.run(component, inputs=list(inputs), outputs=list(outputs), start=start,
                   end=start + timedelta(minutes=minutes)):
        pass


def traced(store, text: str) -> list[tuple]:
    """The rows of a trace as (depth, component, start_time, repeated), in the order they print."""
    return [(r["depth"], r["component"], r["start_time"], r["repeated"]) for r in answer(store, text).to_dicts()]


def components_of(store, text: str) -> list[str]:
    return [row[1] for row in traced(store, text) if not row[3]]


def log_chain() -> None:
    """raw -> etl -> a -> clean -> b -> features -> c -> train -> model"""
    step("etl", at(0), ["raw"], ["a"])
    step("clean", at(1), ["a"], ["b"])
    step("features", at(2), ["b"], ["c"])
    step("train", at(3), ["c"], ["model"])


def log_diamond() -> None:
    """src -> top -> x; x -> left -> y; x -> right -> z; y, z -> bottom -> out"""
    step("top", at(0), ["src"], ["x"])
    step("left", at(0, 1), ["x"], ["y"])
    step("right", at(0, 2), ["x"], ["z"])
    step("bottom", at(0, 3), ["y", "z"], ["out"])


def run_id(store, component: str, start) -> str:
    runs = answer(store, f"runs of {component} | select run_id, start_time").rows
    return next(run for run, started in runs if started == start)


def test_chain_lists_every_run_with_depth_increasing(store):
    log_chain()
    assert traced(store, "trace 'model'") == [
        (0, "train", at(3), False), (1, "features", at(2), False), (2, "clean", at(1), False), (3, "etl", at(0), False)]


def test_tree_follows_both_inputs_to_their_producers(store):
    step("weather", at(0), [], ["x"])
    step("trips", at(0, 1), [], ["y"])
    step("join", at(1), ["x", "y"], ["out"])
    assert traced(store, "trace 'out'") == [
        (0, "join", at(1), False), (1, "trips", at(0, 1), False), (1, "weather", at(0), False)]


def test_diamond_lists_the_shared_ancestor_once_expanded_and_once_repeated(store):
    log_diamond()
    assert traced(store, "trace 'out'") == [
        (0, "bottom", at(0, 3), False),
        (1, "right", at(0, 2), False), (2, "top", at(0), False),
        (1, "left", at(0, 1), False), (2, "top", at(0), True)]


def test_versioned_output_readers_depend_on_the_version_they_read(store):
    step("train", at(0), [], ["model"])
    step("infer", at(1), ["model"], ["before"])
    step("train", at(2), [], ["model"])
    step("infer", at(3), ["model"], ["after"])
    assert traced(store, "trace 'before'") == [(0, "infer", at(1), False), (1, "train", at(0), False)]
    assert traced(store, "trace 'after'") == [(0, "infer", at(3), False), (1, "train", at(2), False)]
    assert traced(store, "trace 'model'") == [(0, "train", at(2), False)]


def test_cycle_across_versions_terminates_and_lists_each_version_once(store):
    step("init", at(0), [], ["weights"])
    for day in (1, 2, 3):
        step("online", at(day), ["weights"], ["weights"])
    assert traced(store, "trace 'weights'") == [
        (0, "online", at(3), False), (1, "online", at(2), False), (2, "online", at(1), False), (3, "init", at(0), False)]
    assert sorted(components_of(store, "trace forward 'weights'")) == ["online", "online", "online"]


def test_cycle_between_two_pointers_terminates_and_lists_each_run_once(store):
    step("seed", at(0), [], ["x"])
    for day in (1, 2):
        step("ping", at(day), ["x"], ["y"])
        step("pong", at(day, 1), ["y"], ["x"])
    assert traced(store, "trace 'x'") == [
        (0, "pong", at(2, 1), False), (1, "ping", at(2), False), (2, "pong", at(1, 1), False),
        (3, "ping", at(1), False), (4, "seed", at(0), False)]


def test_a_run_rewriting_its_only_input_does_not_depend_on_itself(store):
    step("online", at(1), ["weights"], ["weights"])
    assert traced(store, "trace 'weights'") == [(0, "online", at(1), False)]


def test_a_producer_still_running_when_the_reader_starts_is_not_a_dependency(store):
    step("slow", at(0), [], ["f"], minutes=60)
    step("slow", at(1), [], ["f"], minutes=120)
    step("fast", at(1, 1), ["f"], ["g"])
    assert traced(store, "trace 'g'") == [(0, "fast", at(1, 1), False), (1, "slow", at(0), False)]


@pytest.mark.parametrize("depth, components", [
    (0, ["train"]),
    (1, ["train", "features"]),
    (2, ["train", "features", "clean"]),
    (9, ["train", "features", "clean", "etl"]),
])
def test_depth_limits_the_trace(store, depth, components):
    log_chain()
    assert components_of(store, f"trace 'model' depth {depth}") == components


@pytest.mark.parametrize("depth, components", [
    (0, ["etl"]),
    (1, ["etl", "clean"]),
    (3, ["etl", "clean", "features", "train"]),
])
def test_depth_limits_the_forward_trace(store, depth, components):
    log_chain()
    assert components_of(store, f"trace forward 'raw' depth {depth}") == components


def test_trace_forward_lists_everything_derived(store):
    log_chain()
    assert components_of(store, "trace forward 'raw'") == ["etl", "clean", "features", "train"]
    assert components_of(store, "trace forward 'b'") == ["features", "train"]


def test_trace_forward_through_a_diamond_lists_each_run_once_expanded(store):
    log_diamond()
    assert sorted(components_of(store, "trace forward 'src'")) == ["bottom", "left", "right", "top"]


def test_a_pointer_read_but_never_written_traces_to_nothing(store):
    log_chain()
    assert traced(store, "trace 'raw'") == []


def stale_reasons(store, component: str) -> list[str]:
    return [reason for (reasons,) in answer(store, f"stale of {component} | select reasons").rows for reason in reasons]


def test_stale_by_age(store):
    step("train", at(0), [], ["model"])
    step("infer", at(45), ["model"], ["pred"])
    assert answer(store, "stale | select component").rows == [("infer",)]
    assert stale_reasons(store, "infer") == [f"train (run {run_id(store, 'train', at(0))}) was run 45 days ago"]


@pytest.mark.parametrize("fresher, reasons", [
    (0, []),
    (1, ["features (run {read}) has 1 fresher run"]),
    (2, ["features (run {read}) has 2 fresher runs"]),
])
def test_stale_by_fresher_runs(store, fresher, reasons):
    step("features", at(0), [], ["features-0"])
    for day in range(1, fresher + 1):
        step("features", at(day), [], [f"features-{day}"])
    step("train", at(3), ["features-0"], ["model"])
    read = run_id(store, "features", at(0))
    assert stale_reasons(store, "train") == [reason.format(read=read) for reason in reasons]


def test_each_run_lists_every_output_it_wrote_not_only_the_one_traced(store):
    """mltrace's trace shows each run with all its outputs: a run reached through one of them shows its others."""
    step("split", at(0), ["raw"], ["train.csv", "test.csv", "split.log"])
    step("fit", at(1), ["train.csv"], ["model.pkl", "fit.log"])
    rows = answer(store, "trace 'model.pkl'").to_dicts()
    assert [(r["component"], r["via"], r["outputs"]) for r in rows] == [
        ("fit", "model.pkl", ["fit.log", "model.pkl"]), ("split", "train.csv", ["split.log", "test.csv", "train.csv"])]
    forward = answer(store, "trace forward 'raw'").to_dicts()
    assert [(r["component"], r["outputs"]) for r in forward] == [
        ("split", ["split.log", "test.csv", "train.csv"]), ("fit", ["fit.log", "model.pkl"])]
    assert "outputs split.log, test.csv, train.csv" in str(answer(store, "trace 'model.pkl'"))


def test_a_run_with_many_outputs_lists_the_first_ones_and_says_how_many(store, monkeypatch):
    from obsql.engine import walks

    monkeypatch.setattr(walks, "MAX_LISTED_OUTPUTS", 3)
    step("score", at(0), ["model"], [f"pred-{i}" for i in range(5)])
    result = answer(store, "trace 'pred-4'")
    assert result.rows[0][-1] == ["pred-0", "pred-1", "pred-2"]
    assert any("wrote 5 outputs" in note for note in result.notes)


def test_a_trace_of_very_many_runs_lists_no_outputs_and_says_why(store, monkeypatch):
    from obsql.engine import walks

    monkeypatch.setattr(walks, "MAX_RUNS_WITH_OUTPUTS", 2)
    log_chain()
    result = answer(store, "trace 'model'")
    assert [r["outputs"] for r in result.to_dicts()] == [None] * 4
    assert any("up to 2 runs" in note for note in result.notes)


def log_fan_out() -> None:
    """A vocabulary every scorer run reads (one reads it twice); two scorers' outputs feed a report, whose output
    feeds an audit; the report reads the vocabulary too."""
    step("tokenizer", at(0), ["corpus"], ["vocab.json"])
    for hour in range(1, 7):
        inputs = ["vocab.json", "vocab.json"] if hour == 3 else ["vocab.json"]
        step("scorer", at(0, hour), inputs, [f"scores-{hour}"])
    step("report", at(0, 8), ["scores-2", "scores-5", "vocab.json"], ["report.html"])
    step("audit", at(0, 9), ["report.html"], ["audit.txt"])


@pytest.mark.parametrize("depth", [None, 0, 1])
def test_a_widely_read_pointer_traces_forward_as_the_walk_does(store, monkeypatch, depth):
    """Past MAX_RUNS_WITH_OUTPUTS readers the forward trace is built as Arrow (leaves columnar, the readers others
    depend on walked): the same rows in the same order as the walk of every reader, outputs aside."""
    from obsql.engine import walks
    from obsql.result import ArrowRows

    log_fan_out()
    text = "trace forward 'vocab.json'" + (f" depth {depth}" if depth is not None else "")
    walked = answer(store, text)
    monkeypatch.setattr(walks, "MAX_RUNS_WITH_OUTPUTS", 2)
    columnar = answer(store, text)
    assert isinstance(columnar.rows, ArrowRows)
    drop_outputs = lambda result: [{k: v for k, v in r.items() if k != "outputs"} for r in result.to_dicts()]  # noqa
    assert drop_outputs(columnar) == drop_outputs(walked)
    assert [r["component"] for r in walked.to_dicts()][:1] == ["report"]  # newest reader first
    assert any("up to 2 runs" in note for note in columnar.notes)
    audits = answer(store, text + " | where component = 'audit' and not repeated | select depth").rows
    assert audits == ([] if depth == 0 else [(1,)])  # under the report, which read the vocabulary itself
