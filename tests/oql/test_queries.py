"""Tables of (OQL, expected rows) over the small store of conftest.py."""
from __future__ import annotations

import pytest

from obsql.errors import ObsqlError
from tests.oql.conftest import answer, at

QUERIES = [
    ("runs of train | select component, start_time", [("train", at(0, 3)), ("train", at(1))]),
    ("runs of infer since @2020-01-10 | select start_time", [(at(40),)]),
    ("runs of infer between @2020-01-01 and @2020-01-05 | select start_time", [(at(2),)]),
    ("runs where component = 'online' | select component, status", [("online", "ok"), ("online", "ok")]),
    ("runs of clean where duration_s = 300 | select component", [("clean",)]),
    ("runs | group by component aggregate count(*) as n | order by n desc, component | limit 3",
     [("features", 2), ("infer", 2), ("online", 2)]),
    ("recent 2 | select component", [("infer",), ("validate",)]),
    # the newest day holds one run: recent reads back a day, then two, four, ... and then the whole table
    ("recent 4 | select component, start_time",
     [("infer", at(40)), ("validate", at(5)), ("online", at(4)), ("online", at(3))]),
    ("recent 100 | select count(*)", [(11,)]),
    ("recent | where component = 'infer' | select start_time", [(at(40),), (at(2),)]),
    ("components | select component, runs, failed, stale",
     [("etl", 1, 0, 0), ("clean", 1, 0, 0), ("features", 2, 0, 0), ("train", 2, 0, 0), ("infer", 2, 0, 2),
      ("online", 2, 0, 0), ("validate", 1, 0, 1)]),
    ("history train metric accuracy | select accuracy", [(0.8,), (0.85,)]),
    ("history clean | select start_time, rows", [(at(0, 1), 90.0)]),
    ("history train metric accuracy every 1 week | select runs, accuracy", [(2, pytest.approx(0.825))]),
    ("history infer metric accuracy, labeled, outputs | select accuracy, labeled, outputs",
     [(0.5, 2, 2), (0.0, 1, 1)]),
    ("history infer metric accuracy every 1 year | select accuracy, labeled", [(pytest.approx(1 / 3), 3)]),
    ("stale | select component, reasons",
     [("infer", ["train (run {train2}) was run 39 days ago"]),
      ("validate", ["check dropped_share failed (after): too many rows dropped"]),
      ("infer", ["features (run {features1}) has 1 fresher run"])]),
    ("stale of validate | select component", [("validate",)]),
    ("trace outputs of infer where value > 0.5 | rank runs | select component, outputs, coverage",
     # the infer run whose only output is in the slice first; the runs every output shares have lift 1
     [("infer", 1, 0.5), ("train", 2, 1.0), ("features", 2, 1.0), ("clean", 2, 1.0), ("etl", 2, 1.0),
      ("infer", 1, 0.5)]),
    ("trace outputs of infer where pointer = 'pred-1' | select pointer, component, depth",
     [("pred-1", "infer", 0), ("pred-1", "train", 1), ("pred-1", "features", 1), ("pred-1", "clean", 2),
      ("pred-1", "etl", 3)]),
    ("trace 'pred-1' | select depth, component, start_time, repeated",
     [(0, "infer", at(2), False), (1, "train", at(1), False), (2, "features", at(0, 2), False),
      (3, "clean", at(0, 1), False), (4, "etl", at(0), False), (1, "features", at(0, 2), True)]),
    ("trace forward 'clean.parquet' | select depth, component, start_time, repeated",
     [(0, "validate", at(5), False), (0, "features", at(1, 1), False), (0, "train", at(0, 3), False),
      (0, "features", at(0, 2), False), (1, "infer", at(2), False), (1, "train", at(1), False),
      (2, "infer", at(40), False), (2, "infer", at(2), True), (1, "train", at(0, 3), True)]),
    ("trace 'weights.bin' | select depth, component, start_time, repeated",
     [(0, "online", at(4), False), (1, "online", at(3), False)]),
    ("sql select count(*) from io where direction = 'output'", [(11,)]),
    ("compare train with infer", []),
]


def _ids(store):
    rows = store.sql("select component, start_time, run_id from runs").rows
    ids = {}
    for component, start, run_id in rows:
        if component == "train" and start == at(1):
            ids["train2"] = run_id
        if component == "features" and start == at(0, 2):
            ids["features1"] = run_id
    return ids


@pytest.mark.parametrize("text, expected", QUERIES, ids=[q for q, _ in QUERIES])
def test_query_rows(small, text, expected):
    ids = _ids(small)
    expected = [tuple([r.format(**ids) for r in v] if isinstance(v, list) else v for v in row) for row in expected]
    assert answer(small, text).rows == expected


def test_rank_orders_by_coverage_then_newest(small):
    ranked = answer(small, "trace outputs of infer | rank runs").to_dicts()
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    counts = [r["outputs"] for r in ranked]
    assert counts == sorted(counts, reverse=True)
    assert ranked[0]["coverage"] == 1.0 and ranked[0]["component"] == "train"


def test_expect_reports_pass_and_fail(small):
    assert answer(small, "expect runs of etl is not empty").passed is True
    assert answer(small, "expect stale is empty").passed is False
    result = answer(small, "expect history train metric accuracy | min(accuracy) >= 0.9")
    assert result.passed is False and result.rows[0][2] == "min(accuracy) = 0.8"


def _flag_files(store) -> int:
    return sum(1 for _ in (store.path / "flags").rglob("*.parquet")) if (store.path / "flags").exists() else 0


def test_a_statement_flags_many_pointers_in_one_write(small):
    before = _flag_files(small)
    assert answer(small, "flag 'pred-1', 'pred-2', 'pred-3'").rows == [
        ("pred-1", True), ("pred-2", True), ("pred-3", True)]
    assert _flag_files(small) == before + 1
    assert sorted(small.flagged()) == ["pred-1", "pred-2", "pred-3"]
    small.unflag("pred-1", "pred-2")
    assert small.flagged() == ["pred-3"]
    answer(small, "unflag all")


def test_an_unknown_pointer_stops_the_whole_flag_statement(small):
    with pytest.raises(ObsqlError) as caught:
        answer(small, "flag 'pred-1', 'pred-9'")
    assert "pred-9" in caught.value.message and caught.value.suggestion
    assert small.flagged() == []


def test_flag_outputs_of_a_slice(small):
    assert sorted(answer(small, "flag outputs of infer where value > 0.5").rows) == [("pred-1", True), ("pred-3", True)]
    assert sorted(small.flagged()) == ["pred-1", "pred-3"]
    answer(small, "unflag outputs of infer since @2020-01-10")
    assert small.flagged() == ["pred-1"]
    answer(small, "unflag all")


def test_flag_review_and_unflag(small):
    answer(small, "flag 'pred-1'; flag 'pred-3'")
    review = answer(small, "review | select component, start_time, outputs, lift")
    assert review.rows[0] == ("infer", at(40), 1, pytest.approx(1.5))  # pred-3 is its only output, and flagged
    assert ("train", at(1), 2, 1.0) in review.rows  # in every output's trace, flagged or not
    assert answer(small, "unflag 'pred-1'; review | where component = 'infer' | select outputs").rows == [(1,)]
    answer(small, "unflag all")
    assert answer(small, "review").rows == []


def test_tags_added_and_removed_after_the_fact(tmp_path):
    import obsql

    store = obsql.connect(tmp_path / "store")
    with obsql.run(obsql.Component("train", owner="ml", tags=["model", "weekly"]), outputs=["m.pkl"]):
        pass
    with obsql.run(obsql.Component("etl", owner="data"), outputs=["raw.csv"]):
        pass
    store.flush()
    assert answer(store, "tag train 'prod', 'model'").rows == [("train", "prod", True), ("train", "model", True)]
    store.untag("train", "weekly")
    tags = dict(answer(store, "components | select component, tags").rows)
    assert tags == {"train": ["model", "prod"], "etl": []}
    assert answer(store, "components where list_contains(tags, 'prod') | select component").rows == [("train",)]
    assert answer(store, "components where owner = 'data' | select component").rows == [("etl",)]
    answer(store, "untag train 'prod'; tag train 'weekly'")
    assert dict(answer(store, "components | select component, tags").rows)["train"] == ["model", "weekly"]
    with pytest.raises(ObsqlError) as caught:
        answer(store, "tag trian 'x'")
    assert caught.value.suggestion == "did you mean 'train'?"
    store.close()


def test_notes_on_a_run_are_kept_with_their_times(tmp_path):
    import obsql

    store = obsql.connect(tmp_path / "store")
    with obsql.run("train", outputs=["m.pkl"]) as run:
        pass
    store.flush()
    run_id = run.run_id
    assert answer(store, f"note run '{run_id[:10]}' 'retrained by hand'").rows == [(run_id, "retrained by hand")]
    store.add_notes(run_id, "bad labels in week 3")
    card = answer(store, f"inspect run '{run_id}'").to_dicts()
    notes = [row for row in card if row["section"] == "notes"]
    assert [row["value"] for row in notes] == ["retrained by hand", "bad labels in week 3"]
    assert all(row["field"].endswith("Z") for row in notes)  # each with its time, as every time shows
    assert "bad labels in week 3" in str(answer(store, f"inspect run '{run_id}'"))  # the card prints as text
    with pytest.raises(ObsqlError, match="no run id starts with"):
        answer(store, "note run 'ZZZ' 'x'")
    store.close()
