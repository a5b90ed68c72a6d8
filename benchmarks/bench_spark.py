"""The same OQL on DuckDB and on Spark (local[2] unless told), in the same run, over one synthetic store.

    python benchmarks/scale_store.py --root /tmp/obsql_scale_1m --runs 1000000        # about 12 s
    python benchmarks/bench_spark.py --root /tmp/obsql_scale_1m

Each statement kind (runs, recent, history, trace, trace forward, slice trace + rank runs, review, compare, sql)
runs once on each engine to warm it (the shell's or a server's case: an engine that has answered before), then
`--repeat` times; the table gives the median of those, in ms, and Spark's over DuckDB's. Spark's start-up (the
session, then the engine's first statement) is reported first. The lineage index is built first if the store has
none. The flags a review needs are set on a few outputs and taken off at the end.
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable

import obsql
from obsql.engine.session import Engine
from obsql.spark.reader import spark_reader_factory
from obsql.spark.session import build_session
from obsql.storage import lineage_index

FLAGGED = 5  # outputs flagged for the review


def seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def statements(duck: Engine) -> dict[str, str]:
    """Each statement kind, over pointers and times of this store (found with DuckDB)."""
    (count, first, last), = duck.run("sql select count(*), min(start_time), max(start_time) from runs "
                                     "where component = 'inference'")[-1].rows
    middle = first + (last - first) / 2
    (pointer,), = duck.run(f"sql select pointer from io where component = 'inference' and direction = 'output' "
                           f"and start_time >= '{middle.isoformat()}' order by start_time limit 1")[-1].rows
    (model,), = duck.run("sql select pointer from io where component = 'train' and direction = 'output' "
                         "order by start_time limit 1")[-1].rows
    hour = f"since @{middle:%Y-%m-%dT%H:%M:%S} until @{middle + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}"
    return {
        "runs": "runs of train",
        "recent": "recent 10",
        "history": "history inference metric latency_ms every 1 day",
        "trace": f"trace '{pointer}'",
        "trace forward": f"trace forward '{model}'",
        "slice trace + rank runs": f"trace outputs of inference {hour} | rank runs",
        "review": "review",
        "compare": f"compare inference until @{middle:%Y-%m-%d} with inference since @{middle:%Y-%m-%d}",
        "sql": "sql select component, count(*) as n from runs group by 1 order by 1",
    }


def flag_some(root: Path, duck: Engine) -> list[str]:
    """Flag a few outputs spread over the store, for the review."""
    rows = duck.run(f"sql select pointer from io where component = 'inference' and direction = 'output' "
                    f"order by hash(pointer) limit {FLAGGED}")[-1].rows
    pointers = [pointer for (pointer,) in rows]
    store = obsql.connect(root)
    for pointer in pointers:
        store.flag(pointer)
    store.flush()
    return pointers


def unflag(root: Path, pointers: list[str]) -> None:
    store = obsql.connect(root)
    for pointer in pointers:
        store.unflag(pointer)
    store.close()


def timed(engine: Engine, text: str, repeat: int) -> float:
    """The median time of `text` on `engine`, after a first run that warms it."""
    engine.run(text)
    return statistics.median(seconds(lambda: engine.run(text)) for _ in range(repeat))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="a store (benchmarks/scale_store.py makes one)")
    parser.add_argument("--master", default="local[2]", help="the Spark master (default: local[2])")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each statement after the first")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not lineage_index.covered_files(root):
        print(f"built the lineage index in {seconds(lambda: lineage_index.build(root)):.1f} s")
    duck = Engine.open(root, timeout=0)
    asked = statements(duck)
    flagged = flag_some(root, duck)
    try:
        started = time.perf_counter()
        session = build_session(args.master)
        built = time.perf_counter() - started
        spark = Engine.open(root, timeout=0, reader_factory=spark_reader_factory(session))
        first = seconds(lambda: spark.run(asked["runs"]))
        print(f"Spark start-up ({args.master}): session {built * 1000:.0f} ms, first statement {first * 1000:.0f} ms")
        print(f"{'statement':<26} {'DuckDB ms':>10} {'Spark ms':>10} {'ratio':>8}")
        for kind, text in asked.items():
            on_duckdb, on_spark = timed(duck, text, args.repeat), timed(spark, text, args.repeat)
            print(f"{kind:<26} {on_duckdb * 1000:10.1f} {on_spark * 1000:10.1f} {on_spark / on_duckdb:7.1f}x",
                  flush=True)
    finally:
        unflag(root, flagged)


if __name__ == "__main__":
    main()
