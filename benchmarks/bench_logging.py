"""What logging costs: per run, per pointer in bulk, on a call-heavy decorated function, and on a shared store.

Every figure is a ratio against the same code undecorated, measured in the same run:

    python benchmarks/bench_logging.py                        # the defaults below
    python benchmarks/bench_logging.py --runs 5000 --shared-runs 100000

Goals: median overhead per run with a few pointers under 100 microseconds; at least 200k pointers per second in
batches; a small slowdown for a decorated function that makes 100k Python calls; a 5M-row frame output costing the
call far less than summarising it (issue 11 saw 3.8 s). On a shared store (issue 11), a
median overhead of at most 100 microseconds per run with 3 input and 3 output pointers both on a store that already
holds 1M runs other processes wrote (`--shared-runs`, built by scale_store.py) and with 8 processes logging into
one store at once (`--processes`). Their inputs are what such runs read: the newest model and features (pointers
the store produced, read again and again), another process's latest output, and a new request id nobody produced.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
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


def paired_overheads(function, decorated, arguments, runs: int) -> tuple[float, float]:
    """(plain, decorated) median seconds per call, the two called in turn with the same fresh arguments."""
    plain_times, logged_times = [], []
    for i in range(runs):
        call_with = arguments(i)
        began = time.perf_counter()
        function(*call_with)
        middle = time.perf_counter()
        decorated(*call_with)
        logged_times.append(time.perf_counter() - middle)
        plain_times.append(middle - began)
    return statistics.median(plain_times), statistics.median(logged_times)


def predict(request, model, features):
    ids = [f"{request}-{k}" for k in range(3)]
    return ids


def logged_predict(component: str):
    return obsql.register(component, input_vars=["request", "model", "features"], output_vars=["ids"])(predict)


def on_a_store_others_wrote(runs: int, inference_runs: int) -> tuple[float, float]:
    """(plain, logged) median seconds per prediction on a store holding `inference_runs` runs another process
    wrote: it reads the store's newest model and features and a new request id, and writes three ids."""
    sys.path.insert(0, str(Path(__file__).parent))
    import scale_store

    root = Path(tempfile.mkdtemp()) / "shared"
    began = time.perf_counter()
    scale_store.generate(root, inference_runs)
    print(f"  (a store of {inference_runs:,} inference runs written in {time.perf_counter() - began:.0f} s)")
    obsql.connect(root)
    model, features = obsql.sql("SELECT (SELECT max(pointer) FROM io WHERE pointer LIKE 'models/%'), "
                                "(SELECT max(pointer) FROM io WHERE pointer LIKE 'features/%')").rows[0]
    decorated = logged_predict("predict")
    began = time.perf_counter()
    decorated("warm-up", model, features)
    print(f"  (the first run, which looks at what the store holds: {time.perf_counter() - began:.2f} s)")
    return paired_overheads(predict, decorated, lambda i: (f"request-{i}", model, features), runs)


def alone_on_a_new_store(runs: int) -> tuple[float, float]:
    """The same predictions logged by the only process of a new store: what sharing is measured against."""
    obsql.connect(Path(tempfile.mkdtemp()) / "alone")
    with obsql.run("publish", outputs=["models/alone.pkl", "features/alone.parquet"]):
        pass
    decorated = logged_predict("predict")
    figures = paired_overheads(predict, decorated, lambda i: (f"request-{i}", "models/alone.pkl",
                                                              "features/alone.parquet"), runs)
    obsql.current().close()
    return figures


def worker(root: Path, number: int, processes: int, runs: int) -> None:
    """One of several processes logging at once: each prediction also reads another worker's latest output."""
    obsql.connect(root)
    decorated = logged_predict(f"worker-{number}")
    neighbour = (number + 1) % processes
    plain, logged = paired_overheads(
        predict, decorated, lambda i: (f"w{number}-{i}", "models/shared.pkl", f"w{neighbour}-{max(i - 1, 0)}-0"),
        runs)
    print(json.dumps({"plain": plain, "logged": logged}), flush=True)


def with_processes_at_once(processes: int, runs: int) -> list[dict]:
    root = Path(tempfile.mkdtemp()) / "at-once"
    with obsql.connect(root).run("publish", outputs=["models/shared.pkl"]):
        pass
    obsql.current().close()
    command = [sys.executable, __file__, "--store", str(root), "--runs", str(runs), "--processes", str(processes)]
    workers = [subprocess.Popen([*command, "--worker", str(n)], stdout=subprocess.PIPE, text=True)
               for n in range(processes)]
    return [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]


def report_shared(label: str, plain: float, logged: float) -> None:
    print(f"  {label}: plain {plain * 1e6:7.1f} us, logged {logged * 1e6:7.1f} us, overhead "
          f"{(logged - plain) * 1e6:7.1f} us (goal: 100 us or less)")


def large_frame(rows: int) -> tuple[float, float, float]:
    """(plain, logged, until its summaries are stored) seconds for a call that returns a frame of `rows` rows."""
    import numpy as np
    import polars as pl

    generator = np.random.default_rng(0)
    data = pl.DataFrame({"id": np.arange(rows), "fare": generator.normal(10, 3, rows),
                         "city": generator.choice(["a", "b", "c", "d"], rows), "tip": generator.random(rows)})

    def make():
        frame = data
        return frame

    decorated = obsql.register("large_frame", output_vars=["frame"])(make)
    began = time.perf_counter()
    make()
    plain = time.perf_counter() - began
    began = time.perf_counter()
    decorated()
    logged = time.perf_counter() - began
    obsql.current().flush()  # waits for the background summaries
    return plain, logged, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3000, help="calls per per-run measurement")
    parser.add_argument("--store", type=Path, default=None, help="store directory (default: a temporary one)")
    parser.add_argument("--shared-runs", type=int, default=1_000_000,
                        help="runs other processes wrote into the shared store (0 skips that case)")
    parser.add_argument("--processes", type=int, default=8, help="processes logging at once (0 skips that case)")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        return worker(args.store, args.worker, args.processes, args.runs)
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
    plain, logged, stored = large_frame(5_000_000)
    print(f"a 5M-row frame output: plain {plain * 1e3:.1f} ms, logged {logged * 1e3:.0f} ms (its summaries and "
          f"sample stored {stored:.2f} s after the call began, in the background)")
    plain, decorated, method = call_heavy(100_000)
    print(f"100k-call function: plain {plain * 1e3:.2f} ms, decorated {decorated * 1e3:.2f} ms "
          f"({decorated / plain:.2f}x, locals captured by '{method}')")
    obsql.current().close()
    print("shared store, 3 input and 3 output pointers per run (median per call):")
    report_shared("alone on a new store (for comparison)", *alone_on_a_new_store(args.runs))
    if args.processes:
        figures = with_processes_at_once(args.processes, args.runs)
        overheads = sorted(f["logged"] - f["plain"] for f in figures)
        report_shared(f"{args.processes} processes at once, the median process",
                      statistics.median(f["plain"] for f in figures), statistics.median(f["logged"] for f in figures))
        print(f"    per process overhead: {', '.join(f'{o * 1e6:.0f}' for o in overheads)} us")
    if args.shared_runs:
        report_shared(f"a store of {args.shared_runs:,} runs other processes wrote",
                      *on_a_store_others_wrote(args.runs, args.shared_runs))


if __name__ == "__main__":
    main()
