"""The synthetic scale stores are valid obsql stores with obsql's lineage, and the naive baselines answer correctly."""
from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.dataset as ds
import pytest

from obsql.client.dependencies import ProducerCache
from obsql.storage.ids import new_id
from obsql.storage.layout import read_marker
from tests.helpers import load_benchmark as load

STORE_TABLES = ("runs", "io", "deps", "checks", "metrics", "components", "code")


scale_store = load("scale_store")
naive = load("naive_lineage")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """2000 inference runs over 3 days, with the row counts `generate` reported."""
    root = tmp_path_factory.mktemp("scale") / "store"
    return root, scale_store.generate(root, 2000, days=3)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """24 inference runs of 3 predictions each over a day: small enough to walk by hand."""
    root = tmp_path_factory.mktemp("tiny") / "store"
    scale_store.generate(root, 24, predictions_per_run=3, days=1, seed=7)
    return root


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def scan(root: Path, table: str) -> list[dict]:
    """A table's rows read with pyarrow, independently of DuckDB, partition columns included."""
    return ds.dataset(root / table, format="parquet", partitioning="hive").to_table().to_pylist()


def sql(con, root: Path, query: str) -> list[tuple]:
    """`query` with `{runs}`, `{io}`, ... standing for plain hive-partitioned reads of the store's tables."""
    sources = {t: f"read_parquet('{root}/{t}/**/*.parquet', hive_partitioning = true)" for t in STORE_TABLES}
    return con.execute(query.format(**sources)).fetchall()


# -- the generated store --------------------------------------------------------------------------------------------

def test_store_opens_and_every_table_reads_with_the_counts_generate_reported(small, con):
    root, counts = small
    assert read_marker(root)["format"] == "obsql-store"
    for table in STORE_TABLES:
        assert sql(con, root, f"SELECT count(*) FROM {{{table}}}")[0][0] == counts[table], table
    components = {c for (c,) in sql(con, root, "SELECT DISTINCT component FROM {runs}")}
    assert components == {"etl", "clean", "featuregen", "train", "inference"}
    assert sql(con, root, "SELECT count(*) FROM {runs} WHERE component = 'inference'")[0][0] == 2000
    assert sql(con, root, "SELECT count(*) FROM {runs} WHERE date <> CAST(start_time AS DATE)")[0][0] == 0


def test_run_ids_are_ulids_that_sort_by_start_time(small, con):
    root, _ = small
    rows = sql(con, root, "SELECT run_id, start_time FROM {runs} ORDER BY run_id")
    assert all(len(run_id) == 26 for run_id, _ in rows)
    millis = [int(start.timestamp() * 1000) for _, start in rows]
    assert millis == sorted(millis)
    run_id, start = rows[len(rows) // 2]
    assert run_id[:10] == new_id(start)[:10]


def test_every_dependency_is_the_latest_producer_of_an_input_that_ended_before_the_run(small, con):
    root, counts = small
    bad = sql(con, root, """
        SELECT count(*) FROM {deps} AS d
        WHERE NOT EXISTS (SELECT 1 FROM {io} AS i WHERE i.run_id = d.run_id AND i.direction = 'input'
                          AND i.pointer = d.pointer)
           OR NOT EXISTS (SELECT 1 FROM {io} AS o JOIN {runs} AS r USING (run_id)
                          WHERE o.run_id = d.dep_run_id AND o.direction = 'output' AND o.pointer = d.pointer
                          AND r.component = d.dep_component AND r.start_time = d.dep_start_time
                          AND r.end_time = d.dep_end_time AND r.end_time <= d.start_time)
           OR EXISTS (SELECT 1 FROM {io} AS o WHERE o.direction = 'output' AND o.pointer = d.pointer
                      AND o.end_time > d.dep_end_time AND o.end_time <= d.start_time)""")
    assert bad[0][0] == 0
    assert counts["deps"] == 2 * 2000 + 168 + 2 * (3 + scale_store.WARMUP_DAYS) * 24


def test_dependencies_and_staleness_are_what_obsqls_client_computes(small, con):
    root, _ = small
    index = ProducerCache(root)
    runs = sql(con, root, """
        SELECT r.run_id, r.component, epoch_us(r.start_time), r.stale_reasons, list(d.dep_run_id), list(d.reason)
        FROM {runs} AS r JOIN {deps} AS d USING (run_id)
        WHERE r.component IN ('inference', 'train') OR r.run_id LIKE '%0'
        GROUP BY ALL ORDER BY r.run_id""")
    sample = [run for i, run in enumerate(runs) if i % 7 == 0 or run[1] == "train"]
    assert {run[1] for run in sample} == {"clean", "featuregen", "train", "inference"}
    assert any(run[3] for run in sample)
    inputs = defaultdict(list)
    for run_id, pointer in sql(con, root, "SELECT run_id, pointer FROM {io} WHERE direction = 'input'"):
        inputs[run_id].append(pointer)
    for run_id, _, start, reasons, dep_ids, dep_reasons in sample:
        expected = index.dependencies(inputs[run_id], start, run_id, scale_store.DEFAULT_STALENESS_DAYS)
        assert sorted(dep_ids) == sorted(d.producer.run_id for d in expected)
        assert sorted(r or "" for r in dep_reasons) == sorted("; ".join(d.reasons) for d in expected)
        assert [r for r in reasons if not r.startswith("check ")] == [r for d in expected for r in d.reasons]


def test_a_training_outage_leaves_models_stale_by_age():
    runs = scale_store.upstream(240, np.random.default_rng(0))  # training stops after week 29 (day 203)
    day = 236
    numbers = scale_store.numbers_on_day(day, scale_store.DAY, 240)
    deps = scale_store.inference_day(day, numbers, scale_store.DAY, 1, runs, seed=0)["deps"].to_pylist()
    model = next(d for d in deps if d["dep_component"] == "train")
    age = (model["start_time"] - model["dep_start_time"]).days
    assert age > scale_store.DEFAULT_STALENESS_DAYS and model["stale"]
    assert model["reason"] == f"train (run {model['dep_run_id']}) was run {age} days ago"


def test_failed_checks_are_stale_reasons(small, con):
    root, _ = small
    failed = sql(con, root, """
        SELECT c.name, c.message, r.stale, r.stale_reasons FROM {checks} AS c JOIN {runs} AS r USING (run_id)
        WHERE NOT c.passed""")
    assert failed
    for name, message, stale, reasons in failed:
        assert stale and reasons[-1] == f"check {name} failed (after): {message}"


def test_generating_into_a_non_empty_directory_is_refused(small):
    root, _ = small
    with pytest.raises(ValueError, match="not empty"):
        scale_store.generate(root, 10, days=1)


# -- the naive baselines against a walk of the deps in Python -------------------------------------------------------

def lineage_maps(root: Path):
    """(run_id -> run row, run_id -> upstream run ids, run_id -> downstream run ids)."""
    runs = {r["run_id"]: r for r in scan(root, "runs")}
    upstream, downstream = defaultdict(set), defaultdict(set)
    for d in scan(root, "deps"):
        upstream[d["run_id"]].add(d["dep_run_id"])
        downstream[d["dep_run_id"]].add(d["run_id"])
    return runs, upstream, downstream


def walk(edges: dict[str, set[str]], first: set[str]) -> dict[str, int]:
    """Breadth-first: each reachable run and its smallest depth, `first` at depth 0."""
    depth = {run_id: 0 for run_id in first}
    frontier, level = set(first), 0
    while frontier:
        level += 1
        frontier = {n for run_id in frontier for n in edges[run_id] if n not in depth}
        depth.update(dict.fromkeys(frontier, level))
    return depth


def as_rows(runs: dict, depths: dict[str, int]) -> set[tuple]:
    return {(d, runs[r]["component"], r, runs[r]["start_time"], runs[r]["stale"]) for r, d in depths.items()}


def ranked(runs: dict, upstream: dict, producers: list[str]) -> dict[str, int]:
    """How many of the outputs (given by their producing runs) have each run in their trace."""
    counts: dict[str, int] = defaultdict(int)
    for producer in producers:
        for run_id in walk(upstream, {producer}):
            counts[run_id] += 1
    return counts


def test_naive_trace_matches_a_walk_up_the_deps(tiny, con):
    runs, upstream, _ = lineage_maps(tiny)
    output = next(r for r in scan(tiny, "io") if r["pointer"] == "pred-40")
    rows = naive.naive_trace(con, tiny, "pred-40")
    assert set(rows) == as_rows(runs, walk(upstream, {output["run_id"]}))
    assert [r[1] for r in rows[:1]] == ["inference"]
    assert {r[1] for r in rows} == {"inference", "featuregen", "train", "clean", "etl"}


def test_naive_trace_forward_matches_a_walk_down_the_deps(tiny, con):
    runs, _, downstream = lineage_maps(tiny)
    io = scan(tiny, "io")
    for pointer in ("models/model-w0.pkl", next(r["pointer"] for r in io if r["component"] == "inference"
                                                 and r["pointer"].startswith("features/"))):
        readers = {r["run_id"] for r in io if r["direction"] == "input" and r["pointer"] == pointer}
        rows = naive.naive_trace_forward(con, tiny, pointer)
        assert rows and set(rows) == as_rows(runs, walk(downstream, readers))


def test_naive_slice_rank_counts_traces_per_run(tiny, con):
    runs, upstream, _ = lineage_maps(tiny)
    day = datetime(2024, 1, 1, tzinfo=timezone.utc)
    since, until = day + timedelta(hours=6), day + timedelta(hours=12)
    outputs = sorted((r["start_time"], r["pointer"], r["run_id"]) for r in scan(tiny, "io")
                     if r["component"] == "inference" and r["direction"] == "output"
                     and since <= r["start_time"] < until)
    sliced = outputs[:10]
    counts = ranked(runs, upstream, [run_id for _, _, run_id in sliced])
    rows = naive.naive_slice_rank(con, tiny, "inference", since, until, 10)
    assert {(r[1], r[4], r[5]) for r in rows} == {(run_id, n, n / 10) for run_id, n in counts.items()}
    assert [r[4] for r in rows] == sorted((r[4] for r in rows), reverse=True)
    assert len(naive.naive_slice_rank(con, tiny, "inference", since, until)) >= len(rows)


def test_naive_review_ranks_the_traces_of_given_pointers(tiny, con):
    runs, upstream, _ = lineage_maps(tiny)
    pointers = ["pred-0", "pred-1", "pred-35", "pred-71"]
    producers = {r["pointer"]: r["run_id"] for r in scan(tiny, "io") if r["pointer"] in pointers}
    counts = ranked(runs, upstream, [producers[p] for p in pointers])
    rows = naive.naive_review(con, tiny, pointers)
    assert {(r[1], r[4], r[5]) for r in rows} == {(run_id, n, n / 4) for run_id, n in counts.items()}
    assert rows[0][4] == 4


def test_naive_history_is_the_daily_mean(small, con):
    root, _ = small
    by_day = defaultdict(list)
    for m in scan(root, "metrics"):
        if m["component"] == "inference" and m["name"] == "mean_prediction":
            by_day[m["start_time"].date()].append(m["value"])
    rows = naive.naive_history(con, root, "inference", "mean_prediction")
    assert [(bucket.date(), n) for bucket, _, n in rows] == [(d, len(v)) for d, v in sorted(by_day.items())]
    for (_, mean, _), (_, values) in zip(rows, sorted(by_day.items())):
        assert mean == pytest.approx(sum(values) / len(values))


def test_the_forget_benchmark_leaves_no_reached_value_either_way(tmp_path):
    """bench_forget.py on a week's store: it runs, reaches a model's readers, and both ways leave nothing behind."""
    root = tmp_path / "store"
    scale_store.generate(root, 2000, days=7)
    done = subprocess.run([sys.executable, str(Path(scale_store.__file__).with_name("bench_forget.py")), "--root",
                           str(root)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "values left: obsql 0, naive 0" in done.stdout and "reached: 2,0" in done.stdout


def test_the_lineage_benchmark_times_every_question_against_its_goal(tmp_path):
    """bench_lineage.py on a week's store: every row has obsql's, the naive query's and the goal's figures, and the
    last line counts the goals met."""
    root = tmp_path / "store"
    scale_store.generate(root, 2000, days=7)
    done = subprocess.run([sys.executable, str(Path(scale_store.__file__).with_name("bench_lineage.py")), "--root",
                           str(root), "--traces", "3", "--naive-traces", "1", "--slice", "50", "--review", "5",
                           "--seed", "3"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line for line in lines if line.rstrip().endswith(("met", "MISSED"))]
    assert len(rows) == 7 and all(" ms" in row for row in rows)
    assert lines[-1].startswith("goals met: ") and lines[-1].endswith(" of 7")
