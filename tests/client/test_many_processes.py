"""Several processes logging into one store: each learns what the others logged in bulk, never with a query per
pointer, and a run still depends on the latest producer that finished before it started, whoever logged it."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import obsql
from obsql.client.dependencies import pointer_hash
from obsql.storage.reader import StoreReader
from tests.helpers import rows

PRODUCER = textwrap.dedent("""
    import sys
    import obsql
    obsql.connect(sys.argv[1], flush_seconds=3600, flush_rows=10**9)

    def log(pointers):
        for pointer in pointers:
            with obsql.run(sys.argv[2], outputs=[pointer]):
                pass

    log(sys.argv[3:])
    print("done", flush=True)
    for line in sys.stdin:
        command, *pointers = line.split()
        if command == "go":
            break
        log(pointers) if command == "log" else obsql.current().flush()
        print("done", flush=True)
""")


class Producer:
    """Another process that logs one run of `component` per pointer, then keeps its rows in its spool (never
    flushing by itself) and does what it is told: log more, flush, or go."""

    def __init__(self, root, component: str, *pointers: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", PRODUCER, str(root), component, *pointers],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._done()

    def log(self, *pointers: str) -> None:
        self._tell("log " + " ".join(pointers))

    def flush(self) -> None:
        self._tell("flush")

    def leave(self) -> None:
        self.process.communicate("go\n", timeout=600)
        assert self.process.returncode == 0

    def _tell(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        self._done()

    def _done(self) -> None:
        assert self.process.stdout.readline().strip() == "done"


def dependencies_of(store, component: str) -> list[tuple[str, str]]:
    return rows(store, "SELECT d.pointer, d.dep_component FROM deps AS d JOIN runs AS r USING (run_id) "
                       f"WHERE r.component = '{component}' ORDER BY d.pointer")


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "store"
    obsql.connect(path).close()
    return path


def test_a_producer_another_live_process_has_not_flushed_is_a_dependency(root):
    producer = Producer(root, "make", "features-1")
    store = obsql.connect(root)
    try:
        with obsql.run("use", inputs=["features-1", "nobody-made-this"]):
            pass
        assert dependencies_of(store, "use") == [("features-1", "make")]
    finally:
        producer.leave()
        store.close()


def test_rows_appended_right_before_a_flush_are_read_from_the_removed_spool(root):
    store = obsql.connect(root, refresh_seconds=3600)  # no new files are listed: only the spool can tell
    try:
        producer = Producer(root, "make", "early")
        with obsql.run("use", inputs=["early"]):  # this process now follows the producer's spool
            pass
        producer.log("late")
        producer.flush()  # its spool is gone: what it held is read through the descriptor kept open
        with obsql.run("use-late", inputs=["late"]):
            pass
        producer.leave()
        assert dependencies_of(store, "use") == [("early", "make")]
        assert dependencies_of(store, "use-late") == [("late", "make")]
    finally:
        store.close()


def test_what_the_store_held_at_the_first_look_and_files_that_appear_later_are_both_found(root):
    before = Producer(root, "old", "model.pkl")
    before.flush()
    before.leave()
    store = obsql.connect(root, refresh_seconds=0)
    try:
        with obsql.run("use", inputs=["model.pkl"]):
            pass
        later = Producer(root, "new", "fresh.csv")  # logs and flushes while this process is not looking
        later.flush()
        later.leave()
        with obsql.run("use-later", inputs=["fresh.csv", "model.pkl"]):
            pass
        assert dependencies_of(store, "use") == [("model.pkl", "old")]
        assert dependencies_of(store, "use-later") == [("fresh.csv", "new"), ("model.pkl", "old")]
    finally:
        store.close()


def test_new_pointers_cost_no_query_once_others_have_written(root, monkeypatch):
    other = Producer(root, "make", *(f"out-{i}" for i in range(20)))
    other.flush()
    other.leave()
    queries: list[str] = []
    execute = StoreReader.execute
    monkeypatch.setattr(StoreReader, "execute", lambda self, sql, params=None: queries.append(sql) or
                        execute(self, sql, params))
    store = obsql.connect(root)
    try:
        for i in range(200):
            with obsql.run("use", inputs=[f"in-{i}", f"also-{i}", "out-3"], outputs=[f"result-{i}"]):
                pass
        # what the store holds (its pointers, its static components), once; out-3's producers, use's runs, once each
        assert len(queries) <= 4, queries
        store.flush()
        assert rows(store, "SELECT count(*) FROM deps") == [(200,)]
    finally:
        store.close()


def test_the_pointer_hash_is_duckdbs(root):
    reader = StoreReader(root)
    for pointer in ("pred-42", "", "données/été.parquet", "模型" * 40):
        assert reader.con.execute("SELECT md5_number_lower($p)", {"p": pointer}).fetchone()[0] == \
            pointer_hash(pointer)
    reader.close()
