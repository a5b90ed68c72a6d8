"""`obsql serve` under load on loopback: 20 readers asking the API and pages at once while 4 writers send
OpenLineage START and COMPLETE events, for 30 s; then every event sent is checked to be in the store.

    python benchmarks/bench_serve.py                          # a small store of its own, in a temporary directory
    python benchmarks/bench_serve.py --seconds 60 --readers 40 --writers 8 --store DIR    # DIR is copied first

Readers cycle through the endpoint kinds (recent runs, a run card, components, a history, a trace, an OQL query,
flags and review, alerts, a page), one keep-alive connection each; writers post a START, then its COMPLETE, of a
run reading the previous run's output (so lineage grows as they go). Printed: per endpoint kind the requests, p50,
p95 and errors; then the runs sent, the runs the store holds, and the lost ones. Exits 1 on any error or loss.
"""
from __future__ import annotations

import argparse
import http.client
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import obsql
from obsql.engine.session import Engine
from obsql.serve.config import ServeConfig
from obsql.serve.server import serving

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
JOB_NAMESPACE, LAKE = "loadtest", "s3://loadtest"


def small_store(root: Path, days: int = 30) -> Path:
    """A store of ingest -> clean -> score runs over `days` days, logged with obsql's client."""
    store = obsql.connect(root)
    for day in range(days):
        start = T0 + timedelta(days=day)
        with obsql.run("ingest", inputs=[f"raw/{day}.csv"], outputs=[f"staged/{day}.parquet"], start=start):
            pass
        with obsql.run("clean", inputs=[f"staged/{day}.parquet"], outputs=[f"clean/{day}.parquet"],
                       start=start + timedelta(hours=1)) as run:
            run.log_metric("rows", 1000 + day)
        with obsql.run("score", inputs=[f"clean/{day}.parquet"], start=start + timedelta(hours=2)) as run:
            run.add_output([f"score-{day}-{i}" for i in range(5)], values=[i / 5 for i in range(5)])
            run.log_metric("accuracy", 0.9 - day / 1000)
    store.flush()
    store.close()
    return root


def read_paths(run_id: str) -> dict[str, str]:
    """A request per endpoint kind."""
    return {"runs": "/api/v1/runs?limit=20", "run card": f"/api/v1/runs/{run_id}", "components": "/api/v1/components",
            "history": "/api/v1/components/clean/history?metric=rows", "trace": "/api/v1/trace?pointer=score-0-1",
            "query": "/api/v1/query?" + urlencode({"q": "runs of score where start_time > @2024-01-10 | limit 5"}),
            "flags": "/api/v1/flags", "alerts": "/api/v1/alerts?all=1", "page": "/components/clean"}


class Tally:
    """Latencies and errors per endpoint kind, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def note(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[kind].append(error)


def timed(connection: http.client.HTTPConnection, tally: Tally, kind: str, method: str, path: str,
          body: bytes | None = None, headers: dict | None = None) -> int:
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read()
        status, error = response.status, None if response.status < 300 else f"{response.status}: {text[:200]!r}"
    except OSError as exc:
        status, error = 0, f"{type(exc).__name__}: {exc}"
        connection.close()
    tally.note(kind, time.perf_counter() - started, error)
    return status


def reader(url: str, paths: dict[str, str], stop: threading.Event, tally: Tally) -> None:
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
    kinds = list(paths)
    at = 0
    while not stop.is_set():
        kind = kinds[at % len(kinds)]
        timed(connection, tally, kind, "GET", paths[kind])
        at += 1
    connection.close()


def writer(url: str, token: str, number: int, stop: threading.Event, tally: Tally, sent: list[str]) -> None:
    """START then COMPLETE of one run after another, each reading the last one's output."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    previous, step = f"seed/{number}.csv", 0
    while not stop.is_set():
        run_id, output = str(uuid.uuid4()), f"chain/{number}/{step}.parquet"
        start = T0 + timedelta(days=60, seconds=10 * step)
        answered = []
        for kind, moment in (("START", start), ("COMPLETE", start + timedelta(seconds=5))):
            event = {"eventType": kind, "eventTime": moment.isoformat(), "producer": "bench_serve",
                     "run": {"runId": run_id}, "job": {"namespace": JOB_NAMESPACE, "name": f"writer_{number}"},
                     "inputs": [{"namespace": LAKE, "name": previous}],
                     "outputs": [{"namespace": LAKE, "name": output}]}
            answered.append(timed(connection, tally, "lineage", "POST", "/api/v1/lineage", json.dumps(event).encode(),
                                  headers) == 201)
        if all(answered):
            sent.append(run_id)
        previous, step = output, step + 1
    connection.close()


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] if len(values) > 1 \
        else values[0]


def report(tally: Tally, seconds: float) -> int:
    print(f"{'endpoint':<12} {'requests':>8} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    errors = 0
    for kind, latencies in sorted(tally.latencies.items()):
        errors += len(tally.errors[kind])
        print(f"{kind:<12} {len(latencies):>8} {len(latencies) / seconds:>7.1f} "
              f"{percentile(latencies, 0.5) * 1000:>8.1f} {percentile(latencies, 0.95) * 1000:>8.1f} "
              f"{len(tally.errors[kind]):>6}")
    for kind, messages in tally.errors.items():
        for message in messages[:3]:
            print(f"  {kind}: {message}")
    return errors


def lost_runs(root: Path, sent: list[str]) -> int:
    """Runs whose START and COMPLETE were both answered but that the store does not hold."""
    from obsql.openlineage.naming import run_id_of

    stored = {run_id for (run_id,) in Engine.open(root).query(
        "SELECT run_id FROM runs WHERE component LIKE $prefix", {"prefix": f"{JOB_NAMESPACE}::%"})}
    return sum(run_id_of(run_id) not in stored for run_id in sent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="the server's reading threads")
    parser.add_argument("--store", type=Path, help="a store to copy and serve (default: a small one made here)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        root = Path(scratch) / "store"
        if args.store:
            shutil.copytree(args.store, root)
        else:
            small_store(root)
        token = secrets.token_hex(16)
        run_id = Engine.open(root).run("recent 1")[0].rows[0][0]
        tally, stop, sent = Tally(), threading.Event(), []
        config = ServeConfig(root, port=0, token=token, allow_writes=True, workers=args.workers)
        with serving(config) as url:
            threads = [threading.Thread(target=reader, args=(url, read_paths(run_id), stop, tally))
                       for _ in range(args.readers)]
            threads += [threading.Thread(target=writer, args=(url, token, n, stop, tally, sent))
                        for n in range(args.writers)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            time.sleep(args.seconds)
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        print(f"{args.readers} readers, {args.writers} writers, {elapsed:.1f} s, server with {args.workers} "
              f"reading threads")
        errors = report(tally, elapsed)
        lost = lost_runs(root, sent)
        print(f"runs sent (START and COMPLETE answered): {len(sent)}; lost: {lost}; errors: {errors}")
    return 1 if errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
