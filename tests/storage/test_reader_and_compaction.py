"""Reading the live files: corrupt files are skipped by name, compaction never shows a row twice or loses one."""
from __future__ import annotations

import json
import multiprocessing
from datetime import date

import duckdb
import pytest

from obsql.storage import live_files
from obsql.storage.compact import compact, finish_interrupted
from obsql.storage.layout import COMPACT_DIR
from obsql.storage.reader import StoreReader
from obsql.storage.writer import Writer
from tests.helpers import run_ids, write_runs


def test_empty_tables_read_as_empty_typed_views(root):
    reader = StoreReader(root)
    assert reader.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    names = [d[0] for d in reader.execute("SELECT * FROM io").description]
    assert names[-2:] == ["component", "date"] and "pointer" in names


class OlderDuckDB:
    """A connection that rejects view options, as DuckDB before 2.0 does."""

    def __init__(self):
        self.con = duckdb.connect()

    def execute(self, sql, *args):
        if "DEFER_BINDING" in sql:
            raise duckdb.NotImplementedException("Not implemented Error: VIEW options")
        return self.con.execute(sql, *args)


def test_views_bind_eagerly_where_duckdb_cannot_defer_binding(root):
    write_runs(root, [["a"], ["b"]])
    reader = StoreReader(root, connection=OlderDuckDB())
    assert reader.execute("SELECT run_id FROM runs ORDER BY run_id").fetchall() == [("a",), ("b",)]


def test_a_table_can_be_read_from_some_partitions_only_and_whole_again_after(root):
    write_runs(root, [["a"]], day="2020-01-01")
    write_runs(root, [["b"]], day="2020-01-02")
    write_runs(root, [["c"]], component="train", day="2020-01-02")
    reader = StoreReader(root)
    every = "SELECT run_id FROM runs ORDER BY run_id"
    with reader.partitions_only("runs", "date", ["2020-01-02"]):
        assert reader.execute(every).fetchall() == [("b",), ("c",)]
    assert reader.execute(every).fetchall() == [("a",), ("b",), ("c",)]
    with reader.partitions_only("runs", "component", ["train"]):
        assert reader.execute(every).fetchall() == [("c",)]


def test_rows_kept_for_a_statement_are_read_once_and_dropped_after_it_even_when_it_fails(root):
    write_runs(root, [["a"], ["b"]])
    reader = StoreReader(root)
    with reader.kept("some_runs", "SELECT run_id FROM runs WHERE run_id <> $gone", {"gone": "b"}):
        write_runs(root, [["c"]], day="2020-01-02")  # not seen: the rows were read when kept
        reader.refresh()
        assert reader.execute("SELECT run_id FROM some_runs").fetchall() == [("a",)]
    with pytest.raises(ZeroDivisionError), reader.kept("some_runs", "SELECT run_id FROM runs"):
        raise ZeroDivisionError
    with pytest.raises(duckdb.CatalogException):
        reader.execute("SELECT * FROM some_runs")


# listed last, or first (the file whose schema the reader checks before creating the view)
@pytest.mark.parametrize("name", ["zz-corrupt.parquet", "00-corrupt.parquet"])
def test_a_corrupt_file_is_named_and_skipped_and_the_rest_stays_readable(root, name):
    write_runs(root, [["a"], ["b"]])
    bad = root / "runs" / "component=etl" / "date=2020-01-01" / name
    bad.write_bytes(b"this is not parquet at all")
    with pytest.warns(UserWarning, match=name):
        assert run_ids(root) == ["a", "b"]
    assert str(bad) in live_files.set_aside_files()
    assert bad.exists()  # nothing is deleted


WRONG_SCHEMAS = [
    ("zz-other-columns.parquet", {"x": [1, 2, 3], "y": ["a", "b", "c"]}, "it has no column run_id"),
    ("00-other-types.parquet", {"run_id": [1, 2], "status": [3.5, 4.5]}, "run_id is BIGINT, not VARCHAR"),
]


@pytest.mark.parametrize("name, columns, reason", WRONG_SCHEMAS, ids=[case[0] for case in WRONG_SCHEMAS])
def test_a_file_that_is_not_the_tables_is_set_aside_like_a_corrupt_one(root, name, columns, reason, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from obsql.cli import EXIT_BAD_INPUT, main

    write_runs(root, [["a"], ["b"]])
    stray = root / "runs" / "component=etl" / "date=2020-01-01" / name
    pq.write_table(pa.table(columns), stray)
    with pytest.warns(UserWarning, match=f"{name}: not a file of table runs: {reason}"):
        assert run_ids(root) == ["a", "b"]
    reader = StoreReader(root)
    assert reader.execute("SELECT count(*) FROM runs").fetchone() == (2,)  # count(*) reads no column, yet
    reader.close()
    assert main(["--store", str(root), "check"]) == EXIT_BAD_INPUT
    assert f"{stray}: not a file of table runs: {reason}" in capsys.readouterr().out
    compact(root, closed_before=date(2020, 6, 1))
    assert stray.exists() and run_ids(root) == ["a", "b"]  # left out of the merge, and nothing deleted


def test_compaction_merges_closed_partitions_into_one_sorted_file(root):
    write_runs(root, [["c", "a"], ["b"], ["e", "d"]])
    write_runs(root, [["x"], ["y"]], day="2999-01-01")  # not closed yet
    report = compact(root, closed_before=date(2020, 6, 1))
    assert (report.partitions, report.files_before, report.files_after, report.rows) == (1, 3, 1, 5)
    closed = list((root / "runs" / "component=etl" / "date=2020-01-01").glob("*.parquet"))
    assert len(closed) == 1 and closed[0].name.startswith("c-")
    assert len(list((root / "runs" / "component=etl" / "date=2999-01-01").glob("*.parquet"))) == 2
    assert run_ids(root) == ["a", "b", "c", "d", "e", "x", "y"]
    import pyarrow.parquet as pq

    assert pq.read_table(closed[0]).column("run_id").to_pylist() == ["a", "b", "c", "d", "e"]
    assert compact(root, closed_before=date(2020, 6, 1)).partitions == 0


def test_readers_never_see_both_the_merged_file_and_its_sources(root):
    write_runs(root, [["a"], ["b"]])
    partition = root / "runs" / "component=etl" / "date=2020-01-01"
    sources = sorted(partition.glob("*.parquet"))
    # simulate a compaction stopped after publishing the merged file but before deleting the sources
    merged = partition / "c-MERGED.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.concat_tables([pq.read_table(s, partitioning=None) for s in sources]), merged)
    (root / COMPACT_DIR).mkdir(exist_ok=True)
    (root / COMPACT_DIR / "c-MERGED.json").write_text(json.dumps({
        "table": "runs", "target": str(merged.relative_to(root)),
        "sources": [str(s.relative_to(root)) for s in sources]}))
    assert run_ids(root) == ["a", "b"]
    finish_interrupted(root)
    assert sorted(p.name for p in partition.glob("*.parquet")) == ["c-MERGED.parquet"]
    assert run_ids(root) == ["a", "b"]


def test_an_interrupted_compaction_that_never_published_is_rolled_back(root):
    write_runs(root, [["a"], ["b"]])
    partition = root / "runs" / "component=etl" / "date=2020-01-01"
    (root / COMPACT_DIR).mkdir(exist_ok=True)
    (root / COMPACT_DIR / "c-NEVER.json").write_text(json.dumps({
        "table": "runs", "target": str((partition / "c-NEVER.parquet").relative_to(root)),
        "sources": [str(s.relative_to(root)) for s in partition.glob("*.parquet")]}))
    finish_interrupted(root)
    assert len(list(partition.glob("*.parquet"))) == 2
    assert not list((root / COMPACT_DIR).glob("*.json"))
    assert run_ids(root) == ["a", "b"]


def _append_many(root, worker: int, n: int) -> None:
    writer = Writer(root, flush_rows=7, flush_seconds=3600)
    for i in range(n):
        writer.append([("runs", ("etl", "2020-01-01"), {"run_id": [f"w{worker}-{i:04d}"], "status": ["ok"]})])
    writer.close()


def test_compaction_while_other_processes_append_loses_and_duplicates_nothing(root):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(root, w, 300)) for w in range(2)]
    for worker in workers:
        worker.start()
    counts = []
    while any(w.is_alive() for w in workers):
        compact(root, closed_before=date(2020, 6, 1))
        ids = run_ids(root)
        assert len(ids) == len(set(ids))
        counts.append(len(ids))
    for worker in workers:
        worker.join()
    compact(root, closed_before=date(2020, 6, 1))
    ids = run_ids(root)
    assert len(ids) == 600 and len(set(ids)) == 600
    assert counts == sorted(counts)
