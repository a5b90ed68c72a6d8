"""The append path: what is appended is readable by plain DuckDB, once, even across crashes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from obsql.errors import StoreError
from obsql.storage import spool as spool_files
from obsql.storage.layout import SPOOL_DIR, create_or_open, read_marker
from obsql.storage.store import ParquetStore
from obsql.storage.writer import Writer, recover_dead_spools


def run_rows(run_ids, component="etl", day="2020-01-01"):
    n = len(run_ids)
    return ("runs", (component, day), {"run_id": list(run_ids), "start_time": [0] * n, "end_time": [1] * n,
                                       "status": ["ok"] * n})


def count_runs(root) -> int:
    if not list(root.glob("runs/**/*.parquet")):
        return 0
    con = duckdb.connect()
    return con.execute(f"SELECT count(*) FROM read_parquet('{root}/runs/**/*.parquet', hive_partitioning=true)"
                       ).fetchone()[0]


def test_flushed_rows_are_readable_by_plain_duckdb_with_partitions(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path)
    writer.append([run_rows(["a", "b"]), run_rows(["c"], component="train/v2", day="2020-01-02")])
    writer.flush()
    con = duckdb.connect()
    rows = con.execute(f"SELECT run_id, component, date::VARCHAR FROM read_parquet('{tmp_path}/runs/**/*.parquet', "
                       "hive_partitioning=true) ORDER BY run_id").fetchall()
    assert rows == [("a", "etl", "2020-01-01"), ("b", "etl", "2020-01-01"), ("c", "train/v2", "2020-01-02")]


def test_rows_wait_in_the_spool_until_flushed(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path, flush_seconds=3600)
    writer.append([run_rows(["a"])])
    assert count_runs(tmp_path) == 0
    assert list((tmp_path / SPOOL_DIR).glob("*.spool"))
    writer.flush()
    assert count_runs(tmp_path) == 1
    assert not list((tmp_path / SPOOL_DIR).glob("*.spool"))


def test_buffer_flushes_itself_when_full(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path, flush_rows=10, flush_seconds=3600)
    for i in range(25):
        writer.append([run_rows([f"r{i}"])])
    assert count_runs(tmp_path) == 20
    writer.close()
    assert count_runs(tmp_path) == 25


def test_idle_rows_are_flushed_in_the_background(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path, flush_seconds=0.1)
    writer.append([run_rows(["a"])])
    import time

    deadline = time.monotonic() + 300  # minutes, for a loaded machine; the flush usually comes within 0.1 s
    while count_runs(tmp_path) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count_runs(tmp_path) == 1


def test_missing_columns_are_null_and_unknown_columns_refused(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path)
    writer.append([("runs", ("etl", "2020-01-01"), {"run_id": ["a"]})])
    writer.append([run_rows(["b"])])
    writer.flush()
    con = duckdb.connect()
    rows = con.execute(f"SELECT run_id, status FROM read_parquet('{tmp_path}/runs/**/*.parquet') ORDER BY 1").fetchall()
    assert rows == [("a", None), ("b", "ok")]
    writer.append([("runs", ("etl", "2020-01-01"), {"nonsense": [1]})])
    with pytest.warns(UserWarning, match="could not be written.*nonsense"):
        writer.flush()


def test_a_batch_no_table_can_take_is_set_aside_and_never_holds_up_the_others(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path)
    writer.append([run_rows(["before"])])
    writer.append([run_rows(["bad"]), ("metrics", ("etl", "2020-01-01"), {
        "run_id": ["bad"], "start_time": [0], "name": ["rows"], "value": ["a thousand"]})])
    writer.append([run_rows(["after"])])
    with pytest.warns(UserWarning, match=r"1 logged batch\(es\) could not be written \(metrics: "):
        writer.flush()
    assert count_runs(tmp_path) == 2  # the bad batch went whole: its run row with its metric
    (kept,) = (tmp_path / "_rejected").glob("*.txt")
    assert "a thousand" in kept.read_text() and kept.read_text().startswith("metrics: ")
    writer.append([run_rows(["later"])])
    writer.flush()
    assert count_runs(tmp_path) == 3


CRASHING_WRITER = textwrap.dedent("""
    import os, sys
    from obsql.storage.writer import Writer
    from obsql.storage.layout import create_or_open
    from pathlib import Path
    root = Path(sys.argv[1])
    create_or_open(root)
    writer = Writer(root, flush_seconds=3600)
    for i in range(100):
        writer.append([("runs", ("etl", "2020-01-01"), {"run_id": [f"r{i}"], "status": ["ok"]})])
        if i == 49:
            writer.flush()
    print("appended", flush=True)
    os.kill(os.getpid(), 9)
""")


def test_rows_of_a_killed_process_are_recovered_exactly_once(tmp_path):
    done = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == -9 and "appended" in done.stdout
    assert count_runs(tmp_path) == 50
    store = ParquetStore(tmp_path)
    assert store.recovered == 1
    assert count_runs(tmp_path) == 100
    assert ParquetStore(tmp_path).recovered == 0
    assert count_runs(tmp_path) == 100


def test_recovery_after_a_crash_mid_flush_writes_no_duplicates(tmp_path):
    create_or_open(tmp_path)
    spool_dir = tmp_path / SPOOL_DIR
    spool_dir.mkdir()
    stem = "01DEADPROCESS-000000"
    spool = spool_files.Spool(spool_dir / f"{stem}.spool")
    batch = [run_rows(["a", "b"]), run_rows(["c"], day="2020-01-02")]
    spool.append(batch)
    os.close(spool._fd)  # the owner dies: its lock goes with it
    # the dead owner had published one of the two partition files before dying
    from obsql.storage.writer import _Buffer

    partial = _Buffer()
    partial.add([batch[0]])
    partial.write(tmp_path, stem)
    assert count_runs(tmp_path) == 2
    assert recover_dead_spools(tmp_path) == 1
    assert count_runs(tmp_path) == 3


def test_recovery_removes_what_a_writer_killed_mid_flush_left_half_written(tmp_path):
    create_or_open(tmp_path)
    (tmp_path / SPOOL_DIR).mkdir()
    stem = "01KILLEDMIDFLUSH-000000"
    spool = spool_files.Spool(tmp_path / SPOOL_DIR / f"{stem}.spool")
    spool.append([run_rows(["a"])])
    os.close(spool._fd)
    partition = tmp_path / "runs" / "component=etl" / "date=2020-01-01"
    partition.mkdir(parents=True)
    half_written = partition / f".{stem}.4242.tmp"
    half_written.write_bytes(b"PAR1 and then nothing")
    assert recover_dead_spools(tmp_path) == 1
    assert not half_written.exists() and count_runs(tmp_path) == 1


def test_a_torn_last_record_is_ignored(tmp_path):
    path = tmp_path / "x.spool"
    spool = spool_files.Spool(path)
    spool.append([run_rows(["a"])])
    spool.append([run_rows(["b"])])
    os.close(spool._fd)
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    assert [batch[0][2]["run_id"] for batch in spool_files.read_records(path)] == [["a"]]


def test_a_live_spool_is_not_claimed(tmp_path):
    create_or_open(tmp_path)
    writer = Writer(tmp_path, flush_seconds=3600)
    writer.append([run_rows(["a"])])
    assert recover_dead_spools(tmp_path) == 0
    assert count_runs(tmp_path) == 0
    writer.close()
    assert count_runs(tmp_path) == 1


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "does not exist"),
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("hi")), "not an obsql store"),
    (lambda p: p.write_text("a file"), "is a file"),
    (lambda p: (p.mkdir(), (p / "obsql.json").write_text("{broken")), "unreadable"),
    (lambda p: (p.mkdir(), (p / "obsql.json").write_text('{"format": "obsql-store", "version": 99}')), "newer obsql"),
])
def test_a_path_that_is_not_a_store_gives_a_clear_error(tmp_path, setup, message):
    path = tmp_path / "target"
    setup(path)
    with pytest.raises(StoreError, match=message):
        read_marker(path)

