"""The saved listing: later processes skip walking the partitions, yet never miss or invent a file."""
from __future__ import annotations

import json
import os
import time
import warnings

import pytest

from obsql.storage import layout, live_files
from obsql.storage.layout import COMPACT_DIR, LISTING_DIR, mark_changed
from tests.helpers import run_ids, write_runs


def settle(root):
    """Pretend the last change happened a minute ago."""
    past = time.time_ns() - 60 * 1_000_000_000
    for mark in [root / layout.CHANGES, *(root / layout.TABLE_CHANGES_DIR).iterdir()]:
        os.utime(mark, ns=(past, past))


def unannounced_copy(root) -> str:
    """A new file published without marking the change (as a writer between its rename and its mark)."""
    source = next((root / "runs").rglob("*.parquet"))
    copy = source.with_name("zz-unannounced.parquet")
    copy.write_bytes(source.read_bytes())
    return str(copy)


def test_a_settled_store_saves_its_listing_and_later_readers_use_it(root):
    write_runs(root, [["a"]])
    settle(root)
    walked = live_files.parquet_files(root, "runs")
    saved = json.loads((root / LISTING_DIR / "runs.json").read_text())
    assert [str(root / name) for name in saved["files"]] == walked
    assert saved["changed"] == list(layout.listing_marks(root, ["runs"])["runs"])
    copy = unannounced_copy(root)
    assert copy not in live_files.parquet_files(root, "runs")  # the saved listing answered, no walk
    mark_changed(root)
    assert copy in live_files.parquet_files(root, "runs")


def test_nothing_is_saved_while_changes_are_recent(root):
    write_runs(root, [["a"]])
    live_files.parquet_files(root, "runs")
    assert not (root / LISTING_DIR / "runs.json").exists()
    copy = unannounced_copy(root)
    assert copy in live_files.parquet_files(root, "runs")


def test_new_runs_are_seen_as_soon_as_they_are_marked(root):
    write_runs(root, [["a"]])
    settle(root)
    assert run_ids(root) == ["a"]
    write_runs(root, [["b"]], day="2020-01-02")
    assert run_ids(root) == ["a", "b"]


def test_a_file_removed_by_hand_drops_the_saved_listing_without_a_warning(root):
    write_runs(root, [["a"]])
    write_runs(root, [["b"]], day="2020-01-02")
    settle(root)
    assert run_ids(root) == ["a", "b"]
    removed = next((root / "runs").glob("*/date=2020-01-02/*.parquet"))
    removed.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_ids(root) == ["a"]
    saved = json.loads((root / LISTING_DIR / "runs.json").read_text())["files"]
    assert str(removed.relative_to(root)) not in saved  # walked again and saved afresh


def test_a_compaction_in_flight_means_walking(root):
    write_runs(root, [["a"]])
    settle(root)
    live_files.parquet_files(root, "runs")
    copy = unannounced_copy(root)
    (root / COMPACT_DIR).mkdir(exist_ok=True)
    (root / COMPACT_DIR / "c-X.json").write_text(json.dumps({"table": "runs", "target": "runs/none.parquet",
                                                             "sources": []}))
    assert copy in live_files.parquet_files(root, "runs")


def test_a_store_that_cannot_be_written_is_read_by_walking(root, monkeypatch):
    write_runs(root, [["a"]])
    settle(root)

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(live_files, "write_atomically", refuse)
    assert run_ids(root) == ["a"]
    assert not (root / LISTING_DIR / "runs.json").exists()


def test_a_damaged_saved_listing_is_ignored(root):
    write_runs(root, [["a"]])
    settle(root)
    live_files.parquet_files(root, "runs")
    (root / LISTING_DIR / "runs.json").write_text("{not json")
    assert run_ids(root) == ["a"]


def test_a_change_of_another_table_keeps_the_saved_listing(root):
    write_runs(root, [["a"]])
    settle(root)
    live_files.parquet_files(root, "runs")
    copy = unannounced_copy(root)
    mark_changed(root, ["flags"])
    assert copy not in live_files.parquet_files(root, "runs")  # still the saved listing: runs did not change
    mark_changed(root, ["runs"])
    assert copy in live_files.parquet_files(root, "runs")


def touch_the_store_mark_only(root) -> None:
    """Mark a change as an obsql from before the table marks did."""
    now = time.time_ns()
    os.utime(root / layout.CHANGES, ns=(now, now))


@pytest.mark.parametrize("change", [mark_changed, touch_the_store_mark_only], ids=["no table named", "store mark only"])
def test_a_change_that_names_no_table_is_a_change_of_every_table(root, change):
    write_runs(root, [["a"]])
    settle(root)
    live_files.parquet_files(root, "runs")
    copy = unannounced_copy(root)
    change(root)
    assert copy in live_files.parquet_files(root, "runs")


def test_a_reader_lists_again_only_the_tables_whose_files_changed(root):
    from obsql.storage.reader import StoreReader

    write_runs(root, [["a"]])
    reader = StoreReader(root)
    counted = "SELECT count(*) FROM runs"
    assert reader.fetch(counted)[1] == [(1,)]
    unannounced_copy(root)
    mark_changed(root, ["flags"])
    reader.refresh()
    assert reader.fetch(counted)[1] == [(1,)]  # runs' view kept its files
    mark_changed(root, ["runs"])
    reader.refresh()
    assert reader.fetch(counted)[1] == [(2,)]
    reader.close()
