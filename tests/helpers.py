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
