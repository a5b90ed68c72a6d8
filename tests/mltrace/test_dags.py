"""mltrace 0.17's DAG and store scenarios (tests/test_dags.py, tests/test_store.py), through `obsql.mltrace`.

Run ids are obsql's, so each case compares the ids of the runs it logged rather than mltrace's integers; depths,
order and staleness messages are compared as mltrace's tests compared them.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

import obsql.mltrace as mltrace
from obsql.client.clock import now
from obsql.mltrace import ComponentRun, IOPointer


def log(component: str, inputs=(), outputs=(), start=None) -> str:
    """Log one run as mltrace's store tests did (start, end, inputs, outputs); returns its id."""
    run = ComponentRun(component)
    run.set_start_timestamp(start)
    run.set_end_timestamp()
    run.add_inputs(list(inputs))
    run.add_outputs(list(outputs))
    mltrace.log_component_run(run)
    return mltrace.get_recent_run_ids(1)[0]


def levels(pointer: str) -> list[tuple[int, str]]:
    return [(depth, run.id) for depth, run in mltrace.backtrace(pointer)]


def test_linked_list_traces_every_link_with_its_depth():
    ids = [log(f"mock_component_{i}", [f"iop_{i}"], [f"iop_{i + 1}"]) for i in range(1, 11)]
    assert levels("iop_11") == [(10 - i, ids[i - 1]) for i in range(10, 0, -1)]


def test_versioned_computation_traces_only_the_latest_run():
    ids = [log("mock_component", ["inp"], ["out"]) for _ in range(10)]
    assert levels("out") == [(0, ids[-1])]


def test_tree_traces_one_branch_to_the_root():
    root = log("mock_component_1", ["iop_1"], ["iop_2", "iop_3"])
    log("mock_component_2", ["iop_2"], ["iop_4", "iop_5"])
    right = log("mock_component_3", ["iop_3"], ["iop_6", "iop_7"])
    assert levels("iop_7") == [(0, right), (1, root)]


def test_cycle_across_versions_is_not_a_loop():
    first = log("component_1", ["iop1"], ["iop2"])
    second = log("component_2", ["iop2"], ["iop1"])
    assert levels("iop1") == [(0, second), (1, first)]
    assert levels("iop2") == [(0, first)]


def test_the_latest_of_two_producers_is_the_dependency():
    log("test_component_1", [], ["iop_1"])
    second = log("test_component_2", [], ["iop_1"])
    third = log("test_component_3", ["iop_1"], ["iop_2", "iop_3"])
    fourth = log("test_component_4", ["iop_3"], ["iop_4"])
    assert levels("iop_4") == [(0, fourth), (1, third), (2, second)]


def test_a_run_reading_an_output_that_has_a_fresher_version_is_stale():
    first = log("component_1", ["iop1"], ["iop2"])
    log("component_1", ["iop1"], ["iop3"])
    third = log("component_2", ["iop2"], ["iop4"])
    trace = [(depth, run.id, run.stale) for depth, run in mltrace.backtrace("iop4")]
    assert trace == [(0, third, [f"component_1 (run {first}) has 1 fresher run"]), (1, first, [])]


def test_a_run_reading_an_old_output_is_stale_by_age():
    old = log("component_1", ["iop1"], ["iop2"], start=now() - timedelta(days=61))
    second = log("component_2", ["iop2"], ["iop3"])
    trace = [(depth, run.id, run.stale) for depth, run in mltrace.backtrace("iop3")]
    assert trace == [(0, second, [f"component_1 (run {old}) was run 61 days ago"]), (1, old, [])]


def test_staleness_threshold_is_in_seconds():
    def read_within_an_hour(pointer: str, output: str) -> list[str]:
        run = ComponentRun("component_2")
        run.set_start_timestamp()
        run.set_end_timestamp()
        run.add_input(pointer)
        run.add_output(output)
        mltrace.log_component_run(run, staleness_threshold=60 * 60)
        return mltrace.backtrace(output)[0][1].stale

    log("component_1", ["iop1"], ["iop2"], start=now() - timedelta(hours=3))
    assert read_within_an_hour("iop2", "iop3") == []  # 3 hours is not a whole day: ages are counted in days
    log("component_1", ["iop1"], ["iop4"], start=now() - timedelta(days=2))
    assert "was run 2 days ago" in read_within_an_hour("iop4", "iop5")[0]


def test_dependencies_come_from_every_input_producer():
    log("test_component", ["inp"], ["out"])
    second = log("test_component", ["inp"], ["out"])
    log("test_component", ["inp"], ["another_out"])
    fourth = log("test_component", ["inp"], ["another_out"])
    reader = log("reader", ["out", "another_out"], ["final"])
    trace = mltrace.backtrace("final")
    assert trace[0][1].id == reader and trace[0][1].dependencies == ["test_component"]
    assert {run.id for depth, run in trace if depth == 1} == {second, fourth}


def test_an_unknown_pointer_has_no_trace():
    with pytest.raises(RuntimeError):
        mltrace.backtrace("some_weird_pointer")
    with pytest.raises(RuntimeError):
        mltrace.web_trace("some_weird_pointer")


def test_web_trace_nests_outputs_then_dependencies():
    log("test_component_1", [], ["iop_1"])
    second = log("test_component_2", [], ["iop_1"])
    third = log("test_component_3", ["iop_1"], ["iop_2", "iop_3"])
    fourth = log("test_component_4", ["iop_3"], ["iop_4"])

    def pointer(name, parent):
        return {"id": f"iopointer_{name}", "label": name, "hasCaret": False, "parent": f"componentrun_{parent}"}

    def run(run_id, label, children):
        return {"id": f"componentrun_{run_id}", "label": label, "hasCaret": True, "isExpanded": True, "stale": [],
                "childNodes": children}

    assert mltrace.web_trace("iop_4") == [
        run(fourth, "test_component_4", [pointer("iop_4", fourth), run(third, "test_component_3", [
            pointer("iop_2", third), pointer("iop_3", third),
            run(second, "test_component_2", [pointer("iop_1", second)])])])]


def test_review_ranks_the_shared_run_first_then_newest():
    a1 = log("test_component_A", [], ["iop_1", "iop_2"])
    b1 = log("test_component_B", ["iop_1"], ["iop_3"])
    b2 = log("test_component_B", ["iop_2"], ["iop_4"])
    mltrace.flag_output_id("iop_3")
    mltrace.flag_output_id("iop_4")
    flagged, ranked = mltrace.review_flagged_outputs()
    assert flagged == ["iop_3", "iop_4"]
    assert [(run.id, count) for run, count in ranked] == [(a1, 2), (b2, 1), (b1, 1)]


def test_review_of_many_flagged_outputs_orders_as_mltrace_did():
    a1 = log("test_component_A", [], ["iop_1", "iop_2"])
    b1 = log("test_component_B", ["iop_1"], ["iop_3"])
    cs = [log("test_component_C", ["iop_2", "iop_3"], [f"iop_{i}"]) for i in range(4, 8)]
    for i in range(4, 8):
        mltrace.flag_output_id(f"iop_{i}")
    ranked = [(run.component_name, run.id, count) for run, count in mltrace.review_flagged_outputs()[1]]
    assert ranked == [("test_component_B", b1, 4), ("test_component_A", a1, 4),
                      *[("test_component_C", c, 1) for c in reversed(cs)]]


def test_flags_clear_one_at_a_time_or_all():
    log("c", [], ["a", "b"])
    assert mltrace.flag_output_id("a") is True and mltrace.flag_output_id("b") is True
    assert mltrace.unflag_output_id("a") is False
    assert mltrace.get_io_pointer("b").flag and not mltrace.get_io_pointer("a").flag
    mltrace.unflag_all()
    assert mltrace.review_flagged_outputs() == ([], [])
    with pytest.raises(RuntimeError):
        mltrace.flag_output_id("never-logged")


def test_io_pointers_exist_once_used():
    with pytest.raises(RuntimeError):
        mltrace.get_io_pointer("iop", create=False)
    assert mltrace.get_io_pointer("iop") == mltrace.get_io_pointer("iop")
    log("c", ["iop"], [])
    assert mltrace.get_io_pointer("iop", create=False).name == "iop"


def test_key_value_pointers_keep_a_changed_value_as_a_new_version(store):
    for value in (["this", "is", "the", "first"], ["this", "is", "the", "second"]):
        run = ComponentRun("valtest")
        run.set_start_timestamp()
        run.set_end_timestamp()
        run.add_output(IOPointer(name="iop", value=value))
        mltrace.log_component_run(run)
    hashes = store.sql("select distinct content_hash from io where pointer = 'iop'").rows
    assert len(hashes) == 2
