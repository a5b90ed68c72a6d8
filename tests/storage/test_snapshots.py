"""A reader sees whole runs: each run's rows in every table or in none, while writers flush, compaction merges,
forgets and retentions rewrite files and queries run in other processes; counts never go down; a store from before commits is read as it was."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import obsql
from obsql.storage.layout import COMMITS_DIR, MARKER, FLUSH_STEM
from obsql.storage.schemas import STORE_VERSION
from tests.helpers import run_ids, write_runs

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta, timezone
    import obsql
    obsql.connect(sys.argv[1], flush_rows=300)
    worker = int(sys.argv[2])
    day = datetime(2020, 1, 1 + worker % 4, tzinfo=timezone.utc)  # closed partitions: compaction merges them
    for i in range(int(sys.argv[3])):
        with obsql.run("step", inputs=[f"in-{worker}-{i}"], start=day + timedelta(seconds=i)) as run:
            run.add_output([f"out-{worker}-{i}"], values=[float(i)])
        obsql.log_feedback([f"out-{worker}-{i}"], [i % 2], ts=day)  # long ago: retention removes it as it lands
""")

COMPACTOR = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from obsql.errors import StoreError
    from obsql.storage.compact import compact
    stop = Path(sys.argv[2])
    while not stop.exists():
        try:
            compact(Path(sys.argv[1]))
        except StoreError:  # another compaction runs
            pass
        time.sleep(0.2)
""")

FORGETTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import obsql
    from obsql.errors import StoreError
    store = obsql.connect(sys.argv[1])
    stop, forgotten, labels_removed = Path(sys.argv[2]), [], 0
    # beside the writers while they run, and after them until some of each ran (a busy machine may give the
    # compactor the lock every time while the writers last)
    for _ in range(3000):
        if stop.exists() and len(forgotten) >= 3 and labels_removed:
            break
        found = store.sql("SELECT pointer FROM io WHERE direction = 'output' AND value IS NOT NULL "
                          "ORDER BY pointer LIMIT 1").rows
        try:
            if found:
                store.forget(found[0][0])
                forgotten.append(found[0][0])
            labels_removed += store.retain(feedback="30d").rows.get("feedback", 0)
        except StoreError:  # a compaction holds the store
            pass
        time.sleep(0.3)
    print(labels_removed, " ".join(forgotten))
""")

QUERIES = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from obsql.engine.session import Engine
    engine = Engine.open(sys.argv[1])
    stop = Path(sys.argv[2])
    while not stop.exists():
        counts = engine.query("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM io)")[0]
        print(json.dumps(counts), flush=True)
""")


def test_every_query_sees_whole_runs_while_writers_flush_compaction_merges_and_removals_rewrite(tmp_path):
    root, stop = tmp_path / "store", tmp_path / "stop"
    obsql.connect(root).close()
    compactor = subprocess.Popen([sys.executable, "-c", COMPACTOR, str(root), str(stop)])
    forgetter = subprocess.Popen([sys.executable, "-c", FORGETTER, str(root), str(stop)], stdout=subprocess.PIPE,
                                 text=True)
    queries = subprocess.Popen([sys.executable, "-c", QUERIES, str(root), str(stop)], stdout=subprocess.PIPE,
                               text=True)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(w), "1000"]) for w in range(8)]
    try:
        assert [writer.wait(timeout=1200) for writer in writers] == [0] * 8
    finally:
        stop.touch()
    seen = [json.loads(line) for line in queries.communicate(timeout=1200)[0].splitlines()]
    labels_removed, *forgotten = forgetter.communicate(timeout=1200)[0].split()
    assert compactor.wait(timeout=1200) == 0 and queries.returncode == 0 and forgetter.returncode == 0
    assert forgotten and int(labels_removed) > 0  # forgets and retentions ran among the writers and compactions
    assert len(seen) > 10
    assert [pair for pair in seen if pair[1] != 2 * pair[0]] == []  # a run's io rows came with its runs row
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))  # never fewer than a moment before
    store = obsql.connect(root)
    try:
        assert store.sql("SELECT count(*), count(DISTINCT run_id) FROM runs").rows == [(8000, 8000)]
        assert store.sql("SELECT count(*) FROM io").rows == [(16000,)]  # a forget blanks values, keeps edges
        blanked = store.sql("SELECT pointer FROM io WHERE direction = 'output' AND value IS NULL").rows
        assert sorted(pointer for (pointer,) in blanked) == sorted(forgotten)
    finally:
        store.close()


def test_a_flush_not_committed_is_not_shown_until_it_is(root):
    write_runs(root, [["a"], ["b"]])
    marker = next((root / COMMITS_DIR).iterdir())
    marker.unlink()  # as if its writer died between writing the files and committing them
    assert len(run_ids(root)) == 1
    marker.touch()
    assert run_ids(root) == ["a", "b"]


def test_a_store_from_before_commits_is_read_whole_and_gets_them_when_a_writer_opens_it(root):
    write_runs(root, [["a"], ["b"]])
    for marker in (root / COMMITS_DIR).iterdir():
        marker.unlink()
    (root / COMMITS_DIR).rmdir()
    info = json.loads((root / MARKER).read_text())
    (root / MARKER).write_text(json.dumps({**info, "version": 1}))
    assert run_ids(root) == ["a", "b"]  # no commits at all: every file is shown
    obsql.connect(root).close()  # a writer opens it
    assert json.loads((root / MARKER).read_text())["version"] == STORE_VERSION
    assert all(FLUSH_STEM.fullmatch(m.name) for m in (root / COMMITS_DIR).iterdir())
    assert len(list((root / COMMITS_DIR).iterdir())) == 2 and run_ids(root) == ["a", "b"]
