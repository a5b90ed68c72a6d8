"""Time `obsql.monitor.drift` on a wide numeric table against a plain loop of scipy.stats.ks_2samp calls.

    python benchmarks/bench_drift.py [--rows 1000000] [--cols 100] [--drifted 10] [--baseline-cols N]

Both sides get `rows` rows of `cols` standard-normal columns; `drifted` of them move by 0.05 standard deviations in
the current table. The scipy loop runs over all columns unless --baseline-cols times only the first N and scales
the time up (printed as an estimate). The KS statistics of both are compared, so speed is not bought with accuracy.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import scipy.stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing obsql
from obsql.monitor import drift  # noqa: E402


def tables(rows: int, cols: int, drifted: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reference and current tables; every (cols // drifted)-th column of the current one is shifted."""
    rng = np.random.default_rng(seed)
    every = max(cols // max(drifted, 1), 1)
    reference = pl.DataFrame({f"x{i}": rng.standard_normal(rows) for i in range(cols)})
    current = pl.DataFrame({f"x{i}": rng.standard_normal(rows) + (0.05 if drifted and i % every == 0 else 0.0)
                            for i in range(cols)})
    return reference, current


def time_drift(reference: pl.DataFrame, current: pl.DataFrame) -> tuple[float, pl.DataFrame]:
    start = time.perf_counter()
    table = drift(reference, current)
    return time.perf_counter() - start, table


def time_scipy(reference: pl.DataFrame, current: pl.DataFrame, columns: list[str]) -> tuple[float, list[float]]:
    start = time.perf_counter()
    statistics = [float(scipy.stats.ks_2samp(reference[c].to_numpy(), current[c].to_numpy()).statistic)
                  for c in columns]
    return time.perf_counter() - start, statistics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--drifted", type=int, default=10)
    parser.add_argument("--baseline-cols", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reference, current = tables(args.rows, args.cols, args.drifted, args.seed)
    drift_seconds, table = time_drift(reference, current)
    baseline = reference.columns[:args.baseline_cols] if args.baseline_cols else reference.columns
    scipy_seconds, statistics = time_scipy(reference, current, baseline)
    scipy_all = scipy_seconds * args.cols / len(baseline)
    gap = np.max(np.abs(table["statistic"].to_numpy()[:len(baseline)] - np.array(statistics)))

    print(f"{args.rows:,} rows x {args.cols} numeric columns a side, {args.drifted} shifted by 0.05 sd")
    print(f"obsql drift:          {drift_seconds:8.2f} s  ({int(table['drifted'].sum())} columns flagged)")
    estimate = "" if len(baseline) == args.cols else f"  (estimated from {len(baseline)} columns)"
    print(f"scipy ks_2samp loop:  {scipy_all:8.2f} s{estimate}")
    print(f"speed-up:             {scipy_all / drift_seconds:8.1f} x")
    print(f"largest |statistic difference| against scipy: {gap:.2e}")


if __name__ == "__main__":
    main()
