"""benchmarks/bench_serve.py runs: a 3-second smoke test with a few readers and writers, no errors, no lost runs."""
from __future__ import annotations

from tests.helpers import load_benchmark


def test_the_load_test_runs_without_errors_or_lost_events(capsys):
    bench = load_benchmark("bench_serve")
    assert bench.main(["--seconds", "3", "--readers", "4", "--writers", "2", "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "lineage" in printed and "lost: 0; errors: 0" in printed
