"""bench_spark.py on a small store: every statement kind answers on both engines and lands in the table."""
from __future__ import annotations

import pytest

from tests.helpers import load_benchmark as load

pytestmark = pytest.mark.spark


def test_the_spark_benchmark_times_every_statement_kind_on_both_engines(tmp_path, spark, capsys):
    root = tmp_path / "store"
    load("scale_store").generate(root, 200, days=2)
    load("bench_spark").main(["--root", str(root), "--repeat", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("built the lineage index") and lines[1].startswith("Spark start-up (local[2])")
    table = {line[:26].strip(): line[26:].split() for line in lines[3:]}
    assert list(table) == ["runs", "recent", "history", "trace", "trace forward", "slice trace + rank runs",
                           "review", "compare", "sql"]
    assert all(len(cells) == 3 and cells[2].endswith("x") for cells in table.values())
