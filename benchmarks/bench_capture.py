"""What capturing a function's locals at return costs, for each mechanism of obsql.client.capture.

Every figure is a median over several rounds and a ratio against the same function called plainly:

    python benchmarks/bench_capture.py                     # 100k calls, median of 9 rounds
    python benchmarks/bench_capture.py --calls 300000 --repeat 15

Two workloads: a function that makes `--calls` calls to another Python function (the case that matters: a pipeline
step calling library code), and a recursive function. With sys.monitoring every return of the captured code calls
back, nested ones included (the worst case); a rewritten copy calls back once, since the recursion runs the original.
"plain, once captured" is the original called directly after a capture exists, which with sys.monitoring still
calls back. Rounds time every variant in turn, so a machine that speeds up or slows down mid-run skews no ratio.
The capture module is loaded by file path: this runs on any Python from 3.10 without obsql's dependencies.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import timeit
import types
from pathlib import Path
from typing import Callable

CAPTURE_FILE = Path(__file__).resolve().parents[1] / "obsql" / "client" / "capture.py"
CHAIN = 500  # recursive calls per chain: deep, yet within the default recursion limit


def load_capture_module() -> types.ModuleType:
    """obsql/client/capture.py imported on its own, without obsql's package (and its dependencies)."""
    spec = importlib.util.spec_from_file_location("obsql_capture", CAPTURE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def square(x: int) -> int:
    return x * x


def calls_another_function(calls: int) -> int:
    total = 0
    for i in range(calls):
        total += square(i)
    return total


def recursive_sum(depth: int, again: Callable) -> int:
    """0 + 1 + ... + depth, recursing through `again` so that a copy of this function can recurse into itself."""
    below = again(depth - 1, again) if depth else 0
    return depth + below


def unwatched_copy(func: types.FunctionType) -> types.FunctionType:
    """The same function with a code object of its own, which no capture watches: the plain baseline."""
    return types.FunctionType(func.__code__.replace(), func.__globals__, func.__name__, func.__defaults__,
                              func.__closure__)


def measure(capture: types.ModuleType, func: types.FunctionType, arguments: Callable[[Callable], tuple],
            number: int, repeat: int) -> list[tuple[str, float]]:
    """Median seconds for `number` calls of `func(*arguments(func))` plainly and through each mechanism."""
    baseline = unwatched_copy(func)
    cheapest = capture.LocalsCapture(func)
    traced = capture.LocalsCapture(func, force_trace=True)
    variants = {
        "plain": lambda: baseline(*arguments(baseline)),
        cheapest.method: lambda: cheapest.call(arguments(func), {}),
        "trace": lambda: traced.call(arguments(func), {}),
        "plain, once captured": lambda: func(*arguments(func)),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat + 1):
        for name, run in variants.items():
            samples[name].append(timeit.timeit(run, number=number))
    return [(name, statistics.median(times[1:])) for name, times in samples.items()]  # round one only warms up


def report(title: str, timings: list[tuple[str, float]]) -> None:
    plain = timings[0][1]
    print(title)
    for name, seconds in timings:
        print(f"  {name:<24}{seconds * 1000:9.2f} ms  {seconds / plain:6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="Python calls made by each timed workload")
    parser.add_argument("--repeat", type=int, default=9, help="rounds; the median of each variant is shown")
    options = parser.parse_args()
    capture = load_capture_module()
    print(f"Python {sys.version.split()[0]}, {options.calls} calls, median of {options.repeat} rounds")
    report(f"a function making {options.calls} calls to another function:",
           measure(capture, calls_another_function, lambda _: (options.calls,), 1, options.repeat))
    report(f"{options.calls} recursive calls, in chains of {CHAIN}:",
           measure(capture, recursive_sum, lambda again: (CHAIN - 1, again), options.calls // CHAIN, options.repeat))


if __name__ == "__main__":
    main()
