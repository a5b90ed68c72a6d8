"""Opening a store to read never writes to it: queries and `obsql check` leave its files as they were, answer on a
read-only filesystem, and say when spools of stopped writers wait instead of replaying them."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import obsql
from obsql.cli import main
from obsql.engine.session import Engine
from obsql.storage import spool as spool_files
from obsql.storage.layout import LISTING_DIR, SPOOL_DIR
from obsql.storage.writer import Rows
from tests.helpers import tmpfs

CACHES = (LISTING_DIR,)  # what a read may write where it can: the saved partition walks


def log_runs(root: Path, count: int = 3) -> None:
    store = obsql.connect(root)
    for i in range(count):
        with obsql.run("etl", inputs=[f"raw-{i}"], outputs=[f"clean-{i}"]):
            pass
    store.close()


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under the store but the caches, with its size and modification time."""
    found = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] not in CACHES:
            found[str(relative)] = (path.stat().st_size, path.stat().st_mtime_ns)
    return found


def dead_spool(root: Path, run_id: str) -> Path:
    """A spool left by a writer that died before flushing: one run of `etl`, its lock gone with its owner."""
    (root / SPOOL_DIR).mkdir(exist_ok=True)
    path = root / SPOOL_DIR / "01DEADWRITER-000000.spool"
    spool = spool_files.Spool(path)
    rows: Rows = ("runs", ("etl", "2020-01-01"), {"run_id": [run_id], "status": ["ok"]})
    spool.append([rows])
    os.close(spool._fd)
    return path


def test_queries_and_check_leave_the_store_as_it_was(tmp_path, capsys):
    root = tmp_path / "store"
    log_runs(root)
    before = snapshot(root)
    assert main(["--store", str(root), "-c", "recent; components; trace 'clean-1'"]) == 0
    assert main(["--store", str(root), "check"]) == 0
    assert snapshot(root) == before
    assert "clean-1" not in capsys.readouterr().err


def test_a_read_says_that_a_spool_waits_and_leaves_it_for_a_writer(tmp_path, capsys):
    root = tmp_path / "store"
    log_runs(root, count=1)
    spool = dead_spool(root, "01RECOVERME")
    result = Engine.open(root).run("runs of etl")[0]
    assert "01RECOVERME" not in [row[0] for row in result.rows]
    assert any("obsql recover" in note for note in result.notes)
    assert spool.exists()
    assert main(["--store", str(root), "recover"]) == 0
    assert "recovered the rows of 1 stopped writer(s)" in capsys.readouterr().out
    assert not spool.exists()
    result = Engine.open(root).run("runs of etl")[0]
    assert "01RECOVERME" in [row[0] for row in result.rows] and not result.notes


@pytest.fixture
def read_only_mount(tmp_path):
    """A tmpfs mounted read-only once a store is copied in (needs the right to mount: skipped elsewhere)."""
    with tmpfs(tmp_path / "mnt", "64m") as mount:
        def seal(store: Path) -> Path:
            copy = mount / "store"
            shutil.copytree(store, copy)
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            return copy

        yield seal


def test_a_store_on_a_read_only_filesystem_answers_queries(tmp_path, read_only_mount, capsys):
    root = tmp_path / "store"
    log_runs(root)
    dead_spool(root, "01WAITING")
    sealed = read_only_mount(root)
    assert main(["--store", str(sealed), "-c", "runs of etl | select run_id"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") >= 3 and "01WAITING" not in out
    assert main(["--store", str(sealed), "check"]) == 0
    assert "spool" in Engine.open(sealed).run("recent 1")[0].notes[0]


def test_a_reader_shows_no_progress_bar_and_leaves_no_spill_directory(tmp_path, monkeypatch):
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setenv("TMPDIR", str(spills))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    root = tmp_path / "store"
    log_runs(root, count=1)
    engine = Engine.open(root)
    assert engine.query("SELECT current_setting('enable_progress_bar')") == [(False,)]
    assert len(list(spills.glob("obsql-spill-*"))) == 1
    engine.reader.close()  # or when the reader is collected, or at exit
    assert list(spills.glob("obsql-spill-*")) == []


def test_a_reader_removes_the_spill_directories_of_killed_processes(tmp_path, monkeypatch):
    """A reader killed with SIGKILL never removes its spill directory; the next reader on the machine does, and
    leaves those of live processes (its own, another reader's) alone."""
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setenv("TMPDIR", str(spills))
    monkeypatch.setattr("tempfile.tempdir", None)
    root = tmp_path / "store"
    log_runs(root, count=1)
    code = ("import sys, time; from obsql.engine.session import Engine; e = Engine.open(sys.argv[1]); "
            "e.query('SELECT 1'); print('open', flush=True); time.sleep(600)")
    killed = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
    living = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert killed.stdout.readline().strip() == "open" and living.stdout.readline().strip() == "open"
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert {p.name.split("-")[2] for p in spills.glob("obsql-spill-*")} == {str(killed.pid), str(living.pid)}
        engine = Engine.open(root)
        left = {p.name.split("-")[2] for p in spills.glob("obsql-spill-*")}
        assert left == {str(living.pid), str(os.getpid())}
        engine.reader.close()
    finally:
        living.kill()
        living.wait()
