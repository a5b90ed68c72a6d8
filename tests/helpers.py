"""Writing and reading a store in tests: rows straight through the writer, plain SQL over the store's views; and the
scripts of benchmarks/ that tests use."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

import obsql
from obsql.storage.reader import StoreReader
from obsql.storage.writer import Writer


def rows(store: "obsql.Store", sql: str, params: list | None = None) -> list[tuple]:
    """Flush what the store logged and run `sql` over its tables."""
    store.flush()
    reader = store.files.reader()
    try:
        return reader.execute(sql, params).fetchall()
    finally:
        reader.close()


def write_runs(root, batches, component="etl", day="2020-01-01") -> None:
    """Runs with these ids (status ok), one published file per batch."""
    writer = Writer(root, flush_seconds=3600)
    for batch in batches:
        writer.append([("runs", (component, day), {"run_id": list(batch), "status": ["ok"] * len(batch)})])
        writer.flush()
    writer.close()


def run_ids(root) -> list[str]:
    """Every run id a fresh reader of the store at `root` sees, sorted."""
    reader = StoreReader(root)
    try:
        return [r for (r,) in reader.execute("SELECT run_id FROM runs ORDER BY run_id").fetchall()]
    finally:
        reader.close()


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name: str):
    """A module of benchmarks/ by path (the test package tests/benchmarks hides the top-level directory's name)."""
    spec = importlib.util.spec_from_file_location(f"obsql_benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the block; the test is skipped where it may not mount one."""
    path.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "none", str(path)], capture_output=True).returncode:
        pytest.skip("this machine does not let the tests mount a filesystem")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)  # lazily: a failed test may hold a file open


DRIFT_FEED_ROWS = 12_000  # rows on the first day of each side (past EXACT_LIMIT, so SQL counts the KS gap); 300 after
DRIFT_FEED_QUERY = "compare feed until @2020-01-04 with feed since @2020-01-04 on drift(*)"


def log_drift_feed(start) -> tuple:
    """Six days of a `feed` component's batches, from `start`, with every case `compare ... on drift(*)` judges
    differently: numbers past EXACT_LIMIT a side and under it, categories by chi-squared and by Jensen-Shannon,
    booleans, NaN and nulls, keys, a column that is numbers on one side and text on the other, one added on the
    third day, a number and a category set per batch (each day's). Returns the frames as the store samples them
    (numbers as floats, booleans as 'true'/'false'), before and after the fourth day, with the day of each row in
    `batch` (not logged); log into a store with `sample_rows=DRIFT_FEED_ROWS` so that every row is sampled."""
    from datetime import timedelta

    import numpy as np
    import polars as pl

    n = DRIFT_FEED_ROWS
    rng = np.random.default_rng(3)
    logged: dict[bool, list] = {False: [], True: []}
    for day in range(6):
        after = day >= 3
        frame = pl.DataFrame({
            "amount": rng.normal(0.3 if after else 0.0, 1.0, n),
            "small": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)),
            "city": rng.choice(["nyc", "sf", "la"] if after else ["nyc", "sf"], n),
            "rare": [None if i % 50 else c for i, c in enumerate(rng.choice(["a", "b"], n))],
            "flag": rng.random(n) < (0.3 if after else 0.1),
            "order_id": np.arange(day * n, (day + 1) * n),
            "request": [f"r-{day}-{i}" for i in range(n)],
            "count": rng.integers(0, 5, n),
            "mixed": [str(v) for v in rng.integers(0, 3, n)] if after else rng.integers(0, 3, n).astype(float),
            **({"late": rng.normal(0, 1, n)} if day >= 2 else {}),
            "daily": np.full(n, rng.normal(0.5 if after else 0.0, 1.0)),
            "weekday": np.full(n, ["mon", "tue", "wed"][day % 3]),
        }).filter(pl.int_range(pl.len()) < (n if day % 3 == 0 else 300))
        with obsql.run("feed", start=start + timedelta(days=day)) as r:
            r.add_input(frame, "batch")
        logged[after].append(frame.with_columns(batch=pl.lit(day)))

    def as_sampled(frames):
        frame = pl.concat(frames, how="diagonal_relaxed")
        return frame.with_columns(pl.col(pl.Int64).cast(pl.Float64), pl.col("flag").cast(pl.Utf8))

    return as_sampled(logged[False]), as_sampled(logged[True])
