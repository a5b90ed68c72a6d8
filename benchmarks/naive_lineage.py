"""The baselines OQL's lineage queries are measured against: hand-written DuckDB SQL over a store's raw files.

Each is the query a user would write with nothing but the Parquet files: `read_parquet` with Hive partitioning, a
recursive CTE over `deps` for lineage, no derived tables or indexes. They return correct rows and are not made slow
on purpose; the point is what the files alone cost.

    python benchmarks/naive_lineage.py --root /tmp/obsql_scale_10m [--seed 0]

picks pointers and a slice at random (seeded) and prints how long each baseline took, once each.
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

import duckdb

TRACE_SQL = """
WITH RECURSIVE
producer AS (
    SELECT run_id FROM read_parquet($io, hive_partitioning = true)
    WHERE direction = 'output' AND pointer = $pointer
    ORDER BY end_time DESC, run_id DESC LIMIT 1),
trace(depth, run_id) AS (
    SELECT 0, run_id FROM producer
    UNION
    SELECT trace.depth + 1, deps.dep_run_id
    FROM trace JOIN read_parquet($deps, hive_partitioning = true) AS deps ON deps.run_id = trace.run_id)
SELECT min(trace.depth) AS depth, runs.component, runs.run_id, runs.start_time, runs.stale
FROM trace JOIN read_parquet($runs, hive_partitioning = true) AS runs USING (run_id)
GROUP BY ALL
ORDER BY depth, runs.start_time, runs.run_id
"""

TRACE_FORWARD_SQL = """
WITH RECURSIVE
forward(depth, run_id) AS (
    SELECT 0, run_id FROM read_parquet($io, hive_partitioning = true)
    WHERE direction = 'input' AND pointer = $pointer
    UNION
    SELECT forward.depth + 1, deps.run_id
    FROM forward JOIN read_parquet($deps, hive_partitioning = true) AS deps ON deps.dep_run_id = forward.run_id)
SELECT min(forward.depth) AS depth, runs.component, runs.run_id, runs.start_time, runs.stale
FROM forward JOIN read_parquet($runs, hive_partitioning = true) AS runs USING (run_id)
GROUP BY ALL
ORDER BY depth, runs.start_time, runs.run_id
"""

# The outputs to rank by, as (pointer, run_id) rows: a slice of one component's outputs, or a list of pointers
# with the latest run that wrote each.
SLICE_OUTPUTS_SQL = """
SELECT pointer, run_id FROM read_parquet($io, hive_partitioning = true)
WHERE direction = 'output' AND component = $component AND start_time >= $since AND start_time < $until
ORDER BY start_time, pointer
LIMIT $limit
"""

REVIEW_OUTPUTS_SQL = """
SELECT pointer, arg_max(run_id, end_time) AS run_id FROM read_parquet($io, hive_partitioning = true)
WHERE direction = 'output' AND pointer IN (SELECT unnest($pointers))
GROUP BY pointer
"""

# Every output's trace, counted per run. Outputs of one run share its trace, so it is walked once per producing
# run and weighted by how many of the outputs that run wrote.
RANK_SQL = """
WITH RECURSIVE
outputs AS ({outputs}),
roots AS (SELECT run_id AS root, count(*) AS outputs FROM outputs GROUP BY run_id),
trace(root, run_id) AS (
    SELECT root, root FROM roots
    UNION
    SELECT trace.root, deps.dep_run_id
    FROM trace JOIN read_parquet($deps, hive_partitioning = true) AS deps ON deps.run_id = trace.run_id)
SELECT runs.component, runs.run_id, runs.start_time, runs.stale, sum(roots.outputs) AS traces,
       sum(roots.outputs) / (SELECT count(*) FROM outputs) AS coverage
FROM trace JOIN roots USING (root) JOIN read_parquet($runs, hive_partitioning = true) AS runs USING (run_id)
GROUP BY ALL
ORDER BY traces DESC, runs.start_time, runs.run_id
"""

HISTORY_SQL = """
SELECT time_bucket(CAST($every AS INTERVAL), timezone('UTC', start_time)) AS bucket, avg(value) AS mean,
       count(*) AS runs
FROM read_parquet($metrics, hive_partitioning = true)
WHERE component = $component AND name = $metric
GROUP BY bucket
ORDER BY bucket
"""


def files(root: Path, *tables: str) -> dict[str, str]:
    """The glob of each table's Parquet files, as query parameters named after the tables."""
    return {table: f"{root}/{table}/**/*.parquet" for table in tables}


def naive_trace(con: duckdb.DuckDBPyConnection, root: Path, pointer: str) -> list[tuple]:
    """Upstream lineage of `pointer`: (depth, component, run_id, start_time, stale), its producer at depth 0."""
    params = {**files(root, "io", "deps", "runs"), "pointer": pointer}
    return con.execute(TRACE_SQL, params).fetchall()


def naive_trace_forward(con: duckdb.DuckDBPyConnection, root: Path, pointer: str) -> list[tuple]:
    """Downstream of `pointer`: (depth, component, run_id, start_time, stale), the runs that read it at depth 0."""
    params = {**files(root, "io", "deps", "runs"), "pointer": pointer}
    return con.execute(TRACE_FORWARD_SQL, params).fetchall()


def naive_slice_rank(con: duckdb.DuckDBPyConnection, root: Path, component: str, since: datetime,
                     until: datetime, limit_outputs: int | None = None) -> list[tuple]:
    """Runs in the traces of `component`'s outputs from runs started in [since, until) (the earliest
    `limit_outputs` of them), most traces first: (component, run_id, start_time, stale, traces, coverage)."""
    params = {**files(root, "io", "deps", "runs"), "component": component, "since": since, "until": until,
              "limit": limit_outputs}
    return con.execute(RANK_SQL.format(outputs=SLICE_OUTPUTS_SQL), params).fetchall()


def naive_review(con: duckdb.DuckDBPyConnection, root: Path, pointers: Sequence[str]) -> list[tuple]:
    """Runs in the traces of `pointers`, most traces first: (component, run_id, start_time, stale, traces,
    coverage)."""
    params = {**files(root, "io", "deps", "runs"), "pointers": list(pointers)}
    return con.execute(RANK_SQL.format(outputs=REVIEW_OUTPUTS_SQL), params).fetchall()


def naive_history(con: duckdb.DuckDBPyConnection, root: Path, component: str, metric: str,
                  every: str = "1 day") -> list[tuple]:
    """(bucket start in UTC, mean, runs) of `metric` over `component`'s runs, bucketed by start time."""
    params = {**files(root, "metrics"), "component": component, "metric": metric, "every": every}
    return con.execute(HISTORY_SQL, params).fetchall()


# -- the benchmark --------------------------------------------------------------------------------------------------

def random_pointers(con: duckdb.DuckDBPyConnection, root: Path, component: str, direction: str, like: str,
                    count: int, rng: random.Random) -> list[str]:
    """`count` pointers matching `like` that `component` read or wrote, each from a random day's partition."""
    days = sorted((root / "io" / f"component={component}").iterdir())
    picked = []
    for day in sorted(rng.choices(days, k=count)):
        pointers = con.execute("SELECT DISTINCT pointer FROM read_parquet($files) WHERE direction = $direction "
                               "AND pointer LIKE $like ORDER BY pointer",
                               {"files": f"{day}/*.parquet", "direction": direction, "like": like}).fetchall()
        picked.append(rng.choice(pointers)[0])
    return picked


def timed(label: str, call) -> None:
    began = time.perf_counter()
    rows = call()
    print(f"  {label:<58} {time.perf_counter() - began:8.2f} s  {len(rows):>9,} rows", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--review", type=int, default=100, help="how many predictions to review")
    parser.add_argument("--slice-outputs", type=int, default=1000, help="outputs in the slice to rank by")
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rng = random.Random(args.seed)
    prediction = random_pointers(con, args.root, "inference", "output", "pred-%", 1, rng)[0]
    features = random_pointers(con, args.root, "inference", "input", "features/%", 1, rng)[0]
    model = random_pointers(con, args.root, "inference", "input", "models/%", 1, rng)[0]
    reviewed = random_pointers(con, args.root, "inference", "output", "pred-%", args.review, rng)
    day = datetime.strptime(rng.choice(sorted((args.root / "io" / "component=inference").iterdir())).name,
                            "date=%Y-%m-%d").replace(tzinfo=timezone.utc)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"naive baselines on {args.root} (DuckDB {duckdb.__version__}, {threads} threads), each run once:")
    timed(f"trace {prediction}", lambda: naive_trace(con, args.root, prediction))
    for pointer in (features, model):
        timed(f"trace forward {pointer}", lambda: naive_trace_forward(con, args.root, pointer))
    timed(f"slice inference {day:%Y-%m-%d} (first {args.slice_outputs} outputs) + rank runs",
          lambda: naive_slice_rank(con, args.root, "inference", day, day + timedelta(days=1), args.slice_outputs))
    timed(f"review {len(reviewed)} random predictions", lambda: naive_review(con, args.root, reviewed))
    timed("history inference mean_prediction every 1 day",
          lambda: naive_history(con, args.root, "inference", "mean_prediction"))


if __name__ == "__main__":
    main()
