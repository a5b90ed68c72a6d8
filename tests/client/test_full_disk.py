"""A store that cannot be written (a full disk) never takes the pipeline down by default: runs wait in memory with a
warning and land once space returns; a strict connection raises a clear obsql error instead; no spool is left with
a torn record. Tested on a small tmpfs (needs the right to mount: skipped elsewhere)."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

import obsql
from obsql.storage import spool as spool_files
from obsql.storage.layout import SPOOL_DIR
from tests.helpers import rows, tmpfs


@pytest.fixture
def small_disk(tmp_path):
    with tmpfs(tmp_path / "disk", "4m") as mount:
        yield mount


def fill(disk: Path) -> Path:
    """Take every free byte of the disk with one file; returns it (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


def log_runs(first: int, count: int) -> None:
    for i in range(first, first + count):
        with obsql.run("step", inputs=[f"in-{i}"], outputs=[f"out-{i}"]):
            pass


def test_runs_wait_in_memory_while_the_disk_is_full_and_land_when_space_returns(small_disk):
    store = obsql.connect(small_disk / "store", flush_rows=10**9, flush_seconds=3600)
    try:
        log_runs(0, 5)
        filler = fill(small_disk)
        with pytest.warns(UserWarning, match="cannot write to the store .* wait in memory .* the pipeline goes on"):
            log_runs(5, 30)  # nothing raised: the pipeline goes on
        filler.unlink()
        with pytest.warns(UserWarning, match="takes writes again"):
            log_runs(35, 1)
        assert rows(store, "SELECT count(*), count(DISTINCT run_id) FROM runs") == [(36, 36)]
        assert rows(store, "SELECT count(*) FROM io") == [(72,)]
    finally:
        store.close()


def test_a_strict_connection_raises_an_obsql_error_when_the_store_cannot_be_written(small_disk):
    store = obsql.connect(small_disk / "store", strict=True, flush_rows=10**9, flush_seconds=3600)
    try:
        log_runs(0, 3)
        filler = fill(small_disk)
        with pytest.raises(obsql.ObsqlError, match="cannot write to the store at .*: No space left on device"):
            log_runs(3, 50)
        filler.unlink()
        log_runs(100, 1)
        spooled = [batch for path in (store.path / SPOOL_DIR).glob("*.spool")
                   for batch in spool_files.read_records(path)]
        assert spooled  # whole records only: the one cut short by the full disk was cut off again
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and nothing waits in memory
            store.flush()
        counted = rows(store, "SELECT count(*), count(DISTINCT run_id) FROM runs")[0]
        assert counted[0] == counted[1] and 4 <= counted[0] < 54
    finally:
        store.close()


def test_a_record_the_disk_cuts_short_is_cut_off_again(small_disk):
    spool = spool_files.Spool(small_disk / "x.spool")
    try:
        spool.append([("runs", ("etl", "2020-01-01"), {"run_id": ["a"]})])
        filler = fill(small_disk)
        os.truncate(filler, filler.stat().st_size - 16384)  # room for the start of the next record, not all of it
        with pytest.raises(OSError):
            spool.append([("runs", ("etl", "2020-01-01"), {"run_id": ["b" * 200_000]})])
        assert (small_disk / "x.spool").stat().st_size < 1000  # what the disk took of it was cut off again
        filler.unlink()
        spool.append([("runs", ("etl", "2020-01-01"), {"run_id": ["c"]})])
    finally:
        os.close(spool._fd)
    assert [batch[0][2]["run_id"] for batch in spool_files.read_records(small_disk / "x.spool")] == [["a"], ["c"]]
