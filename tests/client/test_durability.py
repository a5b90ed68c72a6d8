"""A run whose function returned survives kill -9; many processes append at once without loss or duplicates."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import obsql
from tests.helpers import rows

KILLED_RIGHT_AFTER = textwrap.dedent("""
    import os, sys
    import obsql
    obsql.connect(sys.argv[1], flush_seconds=3600)

    @obsql.register("train", input_vars=["data"], output_vars=["model"])
    def train(data):
        model = "model-" + data + ".pkl"
        return model

    for i in range(5):
        train(f"data-{i}.csv")
    print("returned", flush=True)
    os.kill(os.getpid(), 9)
""")


def test_runs_that_returned_survive_kill_9(tmp_path):
    root = tmp_path / "store"
    done = subprocess.run([sys.executable, "-c", KILLED_RIGHT_AFTER, str(root)], capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    assert "returned" in done.stdout
    store = obsql.connect(root)  # opening the store recovers the dead process's spool
    try:
        assert rows(store, "SELECT count(*), count(DISTINCT run_id) FROM runs") == [(5, 5)]
        assert rows(store, "SELECT count(*) FROM io WHERE direction = 'output'") == [(5,)]
    finally:
        store.close()


ONE_WRITER = textwrap.dedent("""
    import sys
    import obsql
    obsql.connect(sys.argv[1], flush_rows=500)
    worker = int(sys.argv[2])
    for i in range(int(sys.argv[3])):
        with obsql.run("step", inputs=[f"in-{worker}-{i}"], outputs=[f"out-{worker}-{i}"]):
            pass
""")


def test_eight_processes_times_a_thousand_runs_is_exactly_8000(tmp_path):
    root = tmp_path / "store"
    obsql.connect(root).close()
    workers = [subprocess.Popen([sys.executable, "-c", ONE_WRITER, str(root), str(w), "1000"],
                                stderr=subprocess.PIPE, text=True) for w in range(8)]
    for worker in workers:
        assert worker.wait(timeout=300) == 0, worker.stderr.read()
    store = obsql.connect(root)
    try:
        assert rows(store, "SELECT count(*), count(DISTINCT run_id) FROM runs") == [(8000, 8000)]
        assert rows(store, "SELECT count(*) FROM io") == [(16000,)]
    finally:
        store.close()
