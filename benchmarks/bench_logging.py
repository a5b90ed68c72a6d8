"""What logging costs: per run, per pointer in bulk, and on a call-heavy decorated function.

Every figure is a ratio against the same code undecorated, measured in the same run:

    python benchmarks/bench_logging.py            # the defaults below
    python benchmarks/bench_logging.py --runs 5000

Goals (issue 2): median overhead per run with a few pointers under 100 microseconds; at least 200k pointers per
second in batches; a small slowdown for a decorated function that makes 100k Python calls.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import obsql


def median_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def per_run_overhead(runs: int, pointers: int) -> tuple[float, float]:
    """(plain, decorated) median seconds per call of a function that returns `pointers` output ids."""
    def plain():
        ids = [f"pred-{i}" for i in range(pointers)]
        return ids

    decorated = obsql.register(f"bench_{pointers}", inputs=["features.parquet", "model.pkl"],
                               output_vars=["ids"])(plain)
    decorated()  # warm the caches (lineage lookups, code hash)
    return median_seconds(plain, runs), median_seconds(decorated, runs)


def bulk_pointers(batches: int, size: int) -> tuple[float, float]:
    """(plain seconds, logged seconds) to produce `batches` x `size` ids with scores, logged in batches."""
    ids = [f"id-{i}" for i in range(size)]
    scores = [i / size for i in range(size)]

    def plain():
        for _ in range(batches):
            list(zip(ids, scores))

    def logged():
        for _ in range(batches):
            with obsql.run("bulk", inputs=["model.pkl"]) as r:
                r.add_output(ids, "ids", values=scores)
        obsql.current().flush()

    return median_seconds(plain, 3), median_seconds(logged, 3)


def call_heavy(calls: int) -> tuple[float, float, str]:
    """(plain, decorated) seconds for a function making `calls` Python calls and logging a local at return."""
    def step(x):
        return x + 1

    def work():
        total = 0
        for _ in range(calls):
            total = step(total)
        result = f"result-{total}.csv"
        return total

    decorated = obsql.register("heavy", output_vars=["result"])(work)
    decorated()
    from obsql.client.capture import LocalsCapture

    return median_seconds(work, 7), median_seconds(decorated, 7), LocalsCapture(work).method


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3000, help="calls per per-run measurement")
    parser.add_argument("--store", type=Path, default=None, help="store directory (default: a temporary one)")
    args = parser.parse_args()
    root = args.store or Path(tempfile.mkdtemp()) / "store"
    obsql.connect(root)
    print(f"store: {root}")
    print("per-run overhead (median per call):")
    for pointers in (1, 10, 1000):
        plain, decorated = per_run_overhead(args.runs if pointers < 1000 else max(args.runs // 10, 50), pointers)
        print(f"  {pointers:>5} output pointers: plain {plain * 1e6:9.1f} us, logged {decorated * 1e6:9.1f} us, "
              f"overhead {(decorated - plain) * 1e6:9.1f} us ({decorated / plain:6.1f}x)")
    batches, size = 20, 10_000
    plain, logged = bulk_pointers(batches, size)
    total = batches * size
    print(f"bulk: {total} pointers with values in batches of {size}: {total / logged:,.0f} pointers/s "
          f"(logged {logged:.3f} s vs plain {plain:.3f} s, {logged / plain:.1f}x)")
    plain, decorated, method = call_heavy(100_000)
    print(f"100k-call function: plain {plain * 1e3:.2f} ms, decorated {decorated * 1e3:.2f} ms "
          f"({decorated / plain:.2f}x, locals captured by '{method}')")


if __name__ == "__main__":
    main()
