"""Lineage at the paper's scale: obsql's OQL against the naive SQL a user would write, measured in the same run.

    python benchmarks/scale_store.py --root /tmp/obsql_scale_10m --runs 10000000   # once, about a minute
    python benchmarks/bench_lineage.py --root /tmp/obsql_scale_10m

Times, each as a ratio to the naive query over the raw files (benchmarks/naive_lineage.py):
trace of one output (p50 over many outputs, in one warm process), trace forward, slice trace + rank runs over
10k outputs, review of 100 flagged outputs, history of a year by day, and the wall time of `obsql -c` for a small
query. The lineage index is built first if the store has none (that time is reported too).
Goals at 10M runs (issue 3): trace p50 <= 20 ms and >= 50x the naive query; slice + rank < 1 s; `obsql -c` < 0.3 s.
"""
from __future__ import annotations

import argparse
import compileall
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import naive_lineage  # noqa: E402  (a sibling script, not a package)

import obsql  # noqa: E402
from obsql.engine.session import Engine  # noqa: E402
from obsql.storage import lineage_index  # noqa: E402


def seconds(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def report(label: str, ours: float, naive: float) -> None:
    print(f"  {label:<44} obsql {ours * 1000:9.1f} ms   naive {naive * 1000:9.1f} ms   {naive / ours:7.1f}x")


def predictions(con: duckdb.DuckDBPyConnection, root: Path, count: int, rng: random.Random) -> list[str]:
    return naive_lineage.random_pointers(con, root, "inference", "output", "pred-%", count, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--traces", type=int, default=50, help="outputs to trace for the p50")
    parser.add_argument("--naive-traces", type=int, default=3, help="outputs to trace with the naive query")
    parser.add_argument("--slice", type=int, default=10_000, help="outputs in the slice to rank")
    parser.add_argument("--review", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    root, rng = args.root, random.Random(args.seed)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    if not lineage_index.covered_files(root):
        built = seconds(lambda: lineage_index.build(root))
        print(f"built the lineage index in {built:.1f} s")
    engine = Engine.open(root)
    print(f"store {root}; DuckDB {duckdb.__version__}, {con.execute('SELECT current_setting(?)', ['threads']).fetchone()[0]} threads")

    engine.run("components")  # opens the views once, as a notebook or the REPL would
    traced = predictions(con, root, args.traces, rng)
    for _ in range(2):  # an engine's first walk goes level by level; the second loads the in-memory core
        engine.run(f"trace '{traced[0]}'")
    ours = statistics.median(seconds(lambda p=p: engine.run(f"trace '{p}'")) for p in traced)
    naive = statistics.median(seconds(lambda p=p: naive_lineage.naive_trace(con, root, p))
                              for p in traced[: args.naive_traces])
    report(f"trace of one output (p50 of {len(traced)})", ours, naive)

    model = naive_lineage.random_pointers(con, root, "inference", "input", "models/%", 1, rng)[0]
    report(f"trace forward '{model}'", seconds(lambda: engine.run(f"trace forward '{model}'")),
           seconds(lambda: naive_lineage.naive_trace_forward(con, root, model)))

    day = rng.choice(sorted(p.name for p in (root / "io" / "component=inference").iterdir()))
    since = duckdb.connect().execute(f"SELECT CAST('{day[5:]}' AS TIMESTAMPTZ)").fetchone()[0]
    until = since + timedelta(days=60)
    sliced = _slice_oql(since, until, args.slice, con, root)
    report(f"slice trace + rank runs over {args.slice} outputs", seconds(lambda: engine.run(sliced)),
           seconds(lambda: naive_lineage.naive_slice_rank(con, root, "inference", since, until, args.slice)))

    reviewed = predictions(con, root, args.review, rng)
    engine.run("; ".join(f"flag '{p}'" for p in reviewed))
    ours = seconds(lambda: engine.run("review"))
    engine.run("unflag all")
    report(f"review of {len(reviewed)} flagged outputs", ours,
           seconds(lambda: naive_lineage.naive_review(con, root, reviewed)))

    report("history of a year by day", seconds(lambda: engine.run("history inference metric mean_prediction every 1 day")),
           seconds(lambda: naive_lineage.naive_history(con, root, "inference", "mean_prediction")))

    # bytecode as `pip install` leaves it: an editable install run with PYTHONDONTWRITEBYTECODE=1 (as in some
    # sandboxes and containers) would otherwise compile every obsql module in each process, about 35 ms
    compileall.compile_dir(str(Path(obsql.__file__).parent), quiet=1)
    for label, query in (("small query", "runs of train | limit 5"), ("trace", f"trace '{traced[0]}'")):
        walls = [seconds(lambda q=query: subprocess.run([sys.executable, "-m", "obsql", "--store", str(root), "-c", q],
                                                        check=True, capture_output=True))
                 for _ in range(5)]
        print(f"  {'obsql -c, ' + label + ' (wall, p50 of 5)':<44} {statistics.median(walls) * 1000:9.1f} ms")


def _slice_oql(since, until, size: int, con: duckdb.DuckDBPyConnection, root: Path) -> str:
    """A slice of `size` outputs: those of inference from `since`, cut at the size-th output's start."""
    rows = con.execute("SELECT start_time FROM read_parquet($glob, hive_partitioning = true) "
                       "WHERE direction = 'output' AND component = 'inference' AND start_time >= $since "
                       "AND start_time < $until ORDER BY start_time LIMIT $size",
                       {"glob": str(root / "io" / "**" / "*.parquet"), "since": since, "until": until,
                        "size": size}).fetchall()
    last = rows[-1][0]
    return (f"trace outputs of inference where start_time >= @{since:%Y-%m-%dT%H:%M:%S} "
            f"and start_time <= @{last:%Y-%m-%dT%H:%M:%S} | rank runs")


if __name__ == "__main__":
    main()
