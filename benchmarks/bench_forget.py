"""`forget --forward` at scale: a raw file whose forward trace reaches a model and the ~200k inference runs that read
it (at 10M runs), against the naive way, measured in the same run on copies of the same store.

    python benchmarks/scale_store.py --root /tmp/obsql_scale_10m --runs 10000000   # once
    python benchmarks/bench_forget.py --root /tmp/obsql_scale_10m

The store is copied first (a forget rewrites it); the copy's time is not counted. obsql: `obsql.forget(raw,
forward=True)`, a dry run then the real one: the forward trace, a plan that reads only the pointer columns of every
file, and a rewrite of only the files holding reached rows, committed at once. Naive: the recursive forward query
(benchmarks/naive_lineage.py) for the runs, then every `io` file rewritten through DuckDB with the reached values
blanked, which is what plain SQL over the files allows. Both leave no reached value; the script checks it.
Printed: times, rows blanked, files and bytes rewritten, and the ratio naive / obsql.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import naive_lineage  # noqa: E402  (a sibling script, not a package)

import obsql  # noqa: E402
from obsql.storage import lineage_index  # noqa: E402

NAIVE_REWRITE = """
COPY (SELECT * REPLACE (CASE WHEN pointer IN (SELECT unnest($pointers)) AND run_id IN (SELECT unnest($runs))
                             THEN NULL ELSE value END AS value)
      FROM read_parquet($io, hive_partitioning = true))
TO '{out}' (FORMAT parquet, PARTITION_BY (component, date), COMPRESSION zstd)
"""


def seconds(call) -> tuple[float, object]:
    began = time.perf_counter()
    value = call()
    return time.perf_counter() - began, value


def raw_file_reaching_a_model(con: duckdb.DuckDBPyConnection, root: Path, rng: random.Random) -> str:
    """A raw hour read by etl whose features a training run read (so its forward trace reaches a model)."""
    trained = con.execute("SELECT DISTINCT pointer FROM read_parquet($files) WHERE direction = 'input'",
                          {"files": f"{root}/io/component=train/**/*.parquet"}).fetchall()
    hours = sorted(pointer.removeprefix("features/").removesuffix(".parquet") for (pointer,) in trained
                   if pointer.startswith("features/"))
    return f"s3://taxi-raw/trips/{rng.choice(hours)}.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="a store made by scale_store.py (left as it is)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="where the copies go (default: a temporary folder)")
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if not lineage_index.covered_files(args.root):
        built, _ = seconds(lambda: lineage_index.build(args.root))
        print(f"built the lineage index of {args.root} first ({built:.1f} s)")
    raw = raw_file_reaching_a_model(con, args.root, random.Random(args.seed))
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        copy = Path(work) / "store"
        copied, _ = seconds(lambda: shutil.copytree(args.root, copy))
        print(f"store {args.root}, copied in {copied:.1f} s; forgetting '{raw}' and everything derived from it")

        store = obsql.connect(copy)
        planned_in, planned = seconds(lambda: store.forget(raw, forward=True, dry_run=True))
        forgot_in, done = seconds(lambda: store.forget(raw, forward=True, requested_by="bench"))
        derived, runs = list(done.pointers), list(done.runs)
        left = store.sql("SELECT count(*) FROM io WHERE value IS NOT NULL AND pointer IN "
                         f"(SELECT unnest({derived!r}::VARCHAR[])) AND run_id IN "
                         f"(SELECT unnest({runs!r}::VARCHAR[]))").rows[0][0]
        store.close()
        rewritten = planned.plan.bytes
        print(f"  reached: {len(runs):,} runs, {len(derived):,} pointers; {sum(done.rows.values()):,} rows blanked "
              f"in {len(done.plan.changes):,} files ({rewritten / 1e6:,.1f} MB rewritten, "
              f"{done.bytes_freed / 1e6:,.2f} MB freed); values left afterwards: {left}")

        naive_out = Path(work) / "naive_io"
        traced_in, traced = seconds(lambda: naive_lineage.naive_trace_forward(con, args.root, raw))
        naive_runs = sorted({row[2] for row in traced})
        rewrite_in, _ = seconds(lambda: con.execute(NAIVE_REWRITE.format(out=naive_out), {
            "io": f"{args.root}/io/**/*.parquet", "pointers": derived, "runs": naive_runs}))
        naive_bytes = sum(path.stat().st_size for path in naive_out.rglob("*.parquet"))
        naive_left = con.execute("SELECT count(*) FROM read_parquet($files) WHERE value IS NOT NULL AND pointer IN "
                                 "(SELECT unnest($pointers)) AND run_id IN (SELECT unnest($runs))",
                                 {"files": f"{naive_out}/**/*.parquet", "pointers": derived,
                                  "runs": naive_runs}).fetchone()[0]

    ours, naive = forgot_in, traced_in + rewrite_in
    print(f"  {'dry run (trace forward + plan)':<40} obsql {planned_in:8.2f} s")
    print(f"  {'forget --forward':<40} obsql {ours:8.2f} s   naive {naive:8.2f} s "
          f"(trace {traced_in:.2f} s + rewrite io {rewrite_in:.2f} s)   {naive / ours:6.1f}x")
    print(f"  {'bytes written':<40} obsql {rewritten / 1e6:8.1f} MB  naive {naive_bytes / 1e6:8.1f} MB   "
          f"{naive_bytes / max(rewritten, 1):6.1f}x")
    print(f"  values left: obsql {left}, naive {naive_left}; naive reached {len(naive_runs):,} runs")


if __name__ == "__main__":
    main()
