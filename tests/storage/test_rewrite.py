"""Replacing files in one step readers see whole: before the commit the old files, after it the new ones, never a mix;
an interrupted rewrite is rolled back or finished; one rewrite at a time."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from obsql.errors import StoreError
from obsql.storage import live_files
from obsql.storage.layout import COMPACT_DIR
from obsql.storage.rewrite import exclusive, finish_interrupted, new_target, replace_files
from tests.helpers import run_ids, write_runs

PARTITION = ("runs", "component=etl", "date=2020-01-01")


def two_files(root):
    write_runs(root, [["a", "b"], ["c"]])
    partition = root.joinpath(*PARTITION)
    return partition, sorted(partition.glob("*.parquet"))


def rows_of(path, keep):
    table = pq.read_table(path, partitioning=None)
    return table.filter(pa.compute.is_in(table["run_id"], value_set=pa.array(keep)))


def manifest(root, sources, targets, committed):
    (root / COMPACT_DIR).mkdir(exist_ok=True)
    path = root / COMPACT_DIR / "X.json"
    path.write_text(json.dumps({"sources": [str(p.relative_to(root)) for p in sources],
                                "targets": [str(p.relative_to(root)) for p in targets], "committed": committed}))
    return path


def test_a_rewrite_replaces_files_and_can_remove_one_whole(root):
    partition, (first, second) = two_files(root)
    target = new_target(partition)
    replace_files(root, [first, second], [(target, rows_of(first, ["a"]))])
    assert run_ids(root) == ["a"]
    assert sorted(partition.glob("*.parquet")) == [target] and not list((root / COMPACT_DIR).glob("*.json"))


def test_before_its_commit_readers_see_the_old_files_only(root):
    partition, (first, second) = two_files(root)
    target = new_target(partition)
    pq.write_table(rows_of(first, ["a"]), target)  # written, not yet committed
    manifest(root, [first], [target], committed=False)
    assert run_ids(root) == ["a", "b", "c"]


def test_after_its_commit_readers_see_the_new_files_only(root):
    partition, (first, second) = two_files(root)
    target = new_target(partition)
    pq.write_table(rows_of(first, ["a"]), target)
    manifest(root, [first], [target], committed=True)  # committed; the old file not yet deleted
    assert run_ids(root) == ["a", "c"]


@pytest.mark.parametrize(("committed", "left"), [(False, ["a", "b", "c"]), (True, ["a", "c"])])
def test_an_interrupted_rewrite_is_rolled_back_or_finished(root, committed, left):
    partition, (first, second) = two_files(root)
    target = new_target(partition)
    pq.write_table(rows_of(first, ["a"]), target)
    manifest(root, [first], [target], committed)
    finish_interrupted(root)
    assert run_ids(root) == left
    assert target.exists() is committed and first.exists() is not committed
    assert not list((root / COMPACT_DIR).glob("*.json"))


def test_a_commit_during_a_listing_walks_again(root, monkeypatch):
    """A rewrite that commits while a reader walks the partitions would make the walk miss its new file: the
    reader sees the commit happened and walks again."""
    partition, (first, second) = two_files(root)
    target = new_target(partition)
    pq.write_table(rows_of(first, ["a"]), target)
    path = manifest(root, [first], [target], committed=False)
    walks = []

    def walk_then_commit(directory):
        # the first walk passes the partition before the new file is there
        found = [str(p) for p in Path(directory).rglob("*.parquet") if walks or p != target]
        walks.append(directory)
        path.write_text(json.dumps({**json.loads(path.read_text()), "committed": True}))
        return iter(found)

    monkeypatch.setattr(live_files, "_walk_parquet", walk_then_commit)
    listed = live_files.parquet_files(root, "runs")
    assert len(walks) == 2 and str(target) in listed and str(first) not in listed


def test_one_rewrite_at_a_time(root):
    with exclusive(root, "compact"):
        with pytest.raises(StoreError, match="cannot forget: another compaction, forget or retain is running"):
            with exclusive(root, "forget"):
                pass
    with exclusive(root, "forget"):  # free again
        pass


def test_a_store_that_cannot_be_locked_is_refused_clearly(root):
    (root / COMPACT_DIR).mkdir()
    (root / COMPACT_DIR / ".lock").mkdir()  # stands where the lock file must go
    with pytest.raises(StoreError, match="cannot retain: cannot lock the store"):
        with exclusive(root, "retain"):
            pass
