"""Synthetic obsql stores at the scale the mltrace paper speaks of: a million runs and pointers a day (section 3.4).

    python benchmarks/scale_store.py --root /tmp/obsql_scale_1m --runs 1000000
    python benchmarks/scale_store.py --root /tmp/obsql_scale_batch --runs 10000 --batch 1000

The pipeline is the papers' taxi example. Every hour etl reads the hour's raw trips, clean reads etl's output and
featuregen reads clean's, writing `features/<hour>.parquet`. Every week train reads the last week's features and
writes `models/model-w<week>.pkl`, except during a seven-week outage mid-year, so models go stale. Inference runs are
spread evenly over the period; each reads the latest features and the latest model and writes its predictions
(`pred-<n>`, the score in `io.value`). Upstream starts a week early so the first model sees a full week of features.

The rows are those obsql's client would log: a dependency on the latest producer that ended before the consumer
began, staleness by obsql's rules and in its words, one check per run (a few fail) and a few metrics per run. Tables
are built with numpy and pyarrow, no per-row Python, and written a day of inference at a time, one file per
partition, so memory stays flat at any size.
"""
from __future__ import annotations

import argparse
import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from obsql.client.logger import DEFAULT_STALENESS_DAYS
from obsql.client.pointers import pointer_type
from obsql.storage.ids import new_id
from obsql.storage.layout import commit, create_or_open, partition_dir
from obsql.storage.schemas import TABLES, TIME, arrow_type
from obsql.storage.writer import write_parquet

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
FIRST_DAY = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()) * SECOND
WARMUP_DAYS = 8
TRAIN_OUTAGE_WEEKS = range(30, 37)
SHIFT_DAY = 80  # late March: the concept shift of the papers' running example lowers the scores
CHECKS = {  # component: (the metric its check reads, the largest passing value)
    "etl": ("duplicate_fraction", 0.05),
    "clean": ("null_fraction", 0.1),
    "featuregen": ("null_fraction", 0.1),
    "train": ("log_loss", 0.6),
    "inference": ("latency_ms", 250.0),
}
_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)  # Crockford base32, as ULIDs


@dataclass
class Runs:
    """Runs of one component in start order, with the pointer each wrote (upstream components write one)."""

    component: str
    start: np.ndarray  # UTC microseconds
    end: np.ndarray
    run_id: pa.Array
    output: pa.Array | None = None


@dataclass
class Reads:
    """Inputs through which runs depend on other runs: consumer[i] read the output of producer run index[i]."""

    consumer: np.ndarray
    producer: Runs
    index: np.ndarray


@dataclass
class Pointers:
    """io rows of one kind: run[i] read or wrote name[i], with an optional number (a prediction's score)."""

    run: np.ndarray
    name: pa.Array
    value: np.ndarray | None = None


def run_ids(start: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """ULIDs for runs starting at `start`: ten characters of milliseconds, then sixteen random ones (80 bits)."""
    digits = np.empty((len(start), 26), dtype=np.uint8)
    digits[:, :10] = ((start // 1000)[:, None] >> np.arange(45, -1, -5)) & 31
    digits[:, 10:] = rng.integers(0, 32, (len(start), 16), dtype=np.uint8)
    chars = _ALPHABET[digits]
    offsets = np.arange(len(start) + 1, dtype=np.int32) * 26
    return pa.StringArray.from_buffers(len(start), pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def join(*parts) -> pa.Array:
    """Strings and string arrays concatenated element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def text(numbers: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(numbers), pa.string())


# -- the pipeline -------------------------------------------------------------------------------------------------

def hourly_runs(component: str, hours: np.ndarray, offset: int, duration: tuple[int, int], output: str,
                rng: np.random.Generator) -> Runs:
    """One run per hour, starting `offset` past the hour, writing `<output>/<hour>.parquet`."""
    start = hours + offset + rng.integers(0, MINUTE, len(hours))
    end = start + rng.integers(*duration, len(hours))
    return Runs(component, start, end, run_ids(start, rng), join(f"{output}/", hour_labels(hours), ".parquet"))


def hour_labels(hours: np.ndarray) -> pa.Array:
    """`2024-01-01T10` for each hour (UTC microseconds)."""
    return pa.array(np.datetime_as_string(hours.astype("datetime64[us]"), unit="h"))


def train_runs(days: int, rng: np.random.Generator) -> Runs:
    """Weekly training, at 22:45 the evening before each week begins, skipping the outage weeks."""
    weeks = np.array([w for w in range(-(-days // 7)) if w not in TRAIN_OUTAGE_WEEKS], dtype=np.int64)
    start = FIRST_DAY + weeks * WEEK - 75 * MINUTE + rng.integers(0, MINUTE, len(weeks))
    end = start + rng.integers(40 * MINUTE, 55 * MINUTE, len(weeks))
    return Runs("train", start, end, run_ids(start, rng), join("models/model-w", text(weeks), ".pkl"))


def upstream(days: int, rng: np.random.Generator) -> dict[str, Runs]:
    """etl, clean and featuregen every hour from the warm-up on, and train every week."""
    hours = np.arange(FIRST_DAY - WARMUP_DAYS * DAY, FIRST_DAY + days * DAY, HOUR, dtype=np.int64)
    return {
        "etl": hourly_runs("etl", hours, 0, (2 * MINUTE, 5 * MINUTE), "raw", rng),
        "clean": hourly_runs("clean", hours, 8 * MINUTE, (2 * MINUTE, 5 * MINUTE), "clean", rng),
        "featuregen": hourly_runs("featuregen", hours, 20 * MINUTE, (3 * MINUTE, 6 * MINUTE), "features", rng),
        "train": train_runs(days, rng),
    }


def latest_before(producer: Runs, start: np.ndarray) -> np.ndarray:
    """Index of the latest run of `producer` that ended at or before each start (its runs do not overlap)."""
    index = np.searchsorted(producer.end, start, side="right") - 1
    assert (index >= 0).all(), f"a run started before any {producer.component} run had ended"
    return index


def reads_latest(consumers: Runs, producer: Runs) -> Reads:
    return Reads(np.arange(len(consumers.start)), producer, latest_before(producer, consumers.start))


def reads_last_week(consumers: Runs, producer: Runs) -> Reads:
    """Each consumer reads the 168 latest hourly outputs of `producer`, oldest first."""
    newest = latest_before(producer, consumers.start)
    index = (newest[:, None] + np.arange(-167, 1)).ravel()
    return Reads(np.repeat(np.arange(len(newest)), 168), producer, index)


def metric(rng: np.random.Generator, n: int, usual: tuple[float, float], spike: tuple[float, float],
           spike_rate: float) -> np.ndarray:
    """Values drawn uniformly from `usual`, except a share `spike_rate` drawn from `spike` (failing its check)."""
    values = rng.uniform(*usual, n)
    spiked = rng.random(n) < spike_rate
    values[spiked] = rng.uniform(*spike, int(spiked.sum()))
    return values


def upstream_tables(runs: dict[str, Runs], rng: np.random.Generator) -> dict[str, dict[str, pa.Table]]:
    """The rows each upstream component logged, by component and table."""
    etl, clean, featuregen, train = runs["etl"], runs["clean"], runs["featuregen"], runs["train"]
    hours, weeks = len(etl.start), len(train.start)
    raw = join("s3://taxi-raw/trips/", hour_labels(etl.start // HOUR * HOUR), ".csv")
    return {
        "etl": component_tables(etl, [Pointers(np.arange(hours), raw)], [], {
            "rows": rng.normal(20_000, 3_000, hours).round(),
            "duplicate_fraction": metric(rng, hours, (0.0, 0.01), (0.06, 0.2), 0.002)}),
        "clean": component_tables(clean, [], [reads_latest(clean, etl)], {
            "rows": rng.normal(19_000, 3_000, hours).round(),
            "null_fraction": metric(rng, hours, (0.0, 0.05), (0.2, 0.4), 0.01)}),
        "featuregen": component_tables(featuregen, [], [reads_latest(featuregen, clean)], {
            "feature_count": np.full(hours, 100.0),
            "null_fraction": metric(rng, hours, (0.0, 0.02), (0.15, 0.3), 0.003)}),
        "train": component_tables(train, [], [reads_last_week(train, featuregen)], {
            "accuracy": rng.uniform(0.8, 0.9, weeks),
            "log_loss": metric(rng, weeks, (0.3, 0.45), (0.65, 0.8), 0.02)}),
    }


def numbers_on_day(day: int, spacing: int, total: int) -> np.ndarray:
    """The numbers of the inference runs that start on day `day`, when run n starts at n * spacing."""
    return np.arange(-(-day * DAY // spacing), min(-(-(day + 1) * DAY // spacing), total), dtype=np.int64)


def inference_day(day: int, numbers: np.ndarray, spacing: int, per_run: int, runs: dict[str, Runs],
                  seed: int) -> dict[str, pa.Table]:
    """The rows logged by inference runs `numbers`, which start on day `day`."""
    first, stop = int(numbers[0]), int(numbers[-1]) + 1
    rng = np.random.default_rng([seed, day])
    latency = rng.lognormal(np.log(60.0), 0.5, len(numbers)) + 0.05 * per_run
    start = FIRST_DAY + numbers * spacing
    inference = Runs("inference", start, start + (latency * 1000).astype(np.int64), run_ids(start, rng))
    scores = rng.beta(6.0 - 1.5 * (day >= SHIFT_DAY), 4.0, (len(numbers), per_run))
    predictions = Pointers(np.repeat(np.arange(len(numbers)), per_run),
                           join("pred-", text(np.arange(first * per_run, stop * per_run))), scores.ravel())
    reads = [reads_latest(inference, runs["featuregen"]), reads_latest(inference, runs["train"])]
    return component_tables(inference, [], reads, {"mean_prediction": scores.mean(axis=1), "latency_ms": latency},
                            outputs=[predictions])


# -- rows, as obsql's logger shapes them ----------------------------------------------------------------------------

def component_tables(runs: Runs, external: list[Pointers], reads: list[Reads], metrics: dict[str, np.ndarray],
                     outputs: list[Pointers] | None = None) -> dict[str, pa.Table]:
    """runs, io, deps, checks and metrics rows for `runs`; inputs are `external` then `reads`, in that order, and
    outputs are each run's own `output` unless given."""
    n = len(runs.start)
    inputs = external + [Pointers(r.consumer, r.producer.output.take(r.index)) for r in reads]
    outputs = outputs if outputs is not None else [Pointers(np.arange(n), runs.output)]
    deps, reasons = zip(*(deps_rows(runs, r) for r in reads)) if reads else ((), ())
    checks, failures = check_rows(runs, metrics)
    reason_owner = np.concatenate([owner for owner, _ in reasons] + [failures[0]])
    reason_text = pa.concat_arrays([texts for _, texts in reasons] + [failures[1]])
    return {
        "runs": run_rows(runs, grouped_lists(reason_owner, reason_text, n)),
        "io": io_rows(runs, inputs, outputs),
        "deps": by_run(list(deps), [r.consumer for r in reads], "deps"),
        "checks": checks,
        "metrics": metric_rows(runs, metrics),
    }


def grouped_lists(owner: np.ndarray, values: pa.Array, n: int) -> pa.ListArray:
    """A list per owner 0..n-1 of its non-null `values`, in their original order."""
    keep = pc.is_valid(values).to_numpy(zero_copy_only=False)
    owner, values = owner[keep], values.filter(keep)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(np.argsort(owner, kind="stable")))


def by_run(tables: list[pa.Table], owners: list[np.ndarray], name: str) -> pa.Table:
    """Blocks of rows put in run order, each run's rows in block order, as the logger appends them."""
    if not tables:
        return TABLES[name].schema.empty_table()
    order = np.argsort(np.concatenate(owners), kind="stable")
    return pa.concat_tables(tables).take(order)


def times(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=arrow_type(TIME))


def table(name: str, columns: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    """Columns as an Arrow table with the store's schema for `name`; missing columns are nulls."""
    schema = TABLES[name].schema
    n = len(next(iter(columns.values())))
    return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) if f.name in columns
                                 else pa.nulls(n, f.type) for f in schema], schema=schema)


def deps_rows(runs: Runs, reads: Reads) -> tuple[pa.Table, tuple[np.ndarray, pa.Array]]:
    """deps rows for one kind of read, and each reason with the index of the run it makes stale."""
    producer, index = reads.producer, reads.index
    start = runs.start[reads.consumer]
    produced = producer.start[index]
    label = join(f"{producer.component} (run ", producer.run_id.take(index), ")")
    age_days = (start - produced) // DAY
    aged = pc.if_else(pa.array(age_days > DEFAULT_STALENESS_DAYS), join(label, " was run ", text(age_days),
                                                                        " days ago"), None)
    # Starts strictly between the producer's and the consumer's, less those the consumer also read: its reads of
    # one component are consecutive runs, so that is every start before the consumer's after the newest it read.
    newest = np.full(len(runs.start), -1)
    np.maximum.at(newest, reads.consumer, index)
    fresher = np.searchsorted(producer.start, start, side="left") - 1 - newest[reads.consumer]
    plural = pc.if_else(pa.array(fresher == 1), " fresher run", " fresher runs")
    fresh = pc.if_else(pa.array(fresher > 0), join(label, " has ", text(fresher), plural), None)
    m = len(index)
    reasons = grouped_lists(np.concatenate([np.arange(m), np.arange(m)]), pa.concat_arrays([aged, fresh]), m)
    joined = pc.binary_join(reasons, "; ")
    stale = pc.greater(pc.list_value_length(reasons), 0)
    rows = table("deps", {
        "run_id": runs.run_id.take(reads.consumer), "start_time": times(start),
        "pointer": producer.output.take(index), "dep_run_id": producer.run_id.take(index),
        "dep_component": pa.array([producer.component] * m), "dep_start_time": times(produced),
        "dep_end_time": times(producer.end[index]), "stale": stale, "reason": pc.if_else(stale, joined, None)})
    lengths = pc.list_value_length(reasons).to_numpy()
    return rows, (np.repeat(reads.consumer, lengths), reasons.flatten())


def check_rows(runs: Runs, metrics: dict[str, np.ndarray]) -> tuple[pa.Table, tuple[np.ndarray, pa.Array]]:
    """The component's check on each run, and the stale reason of each failure with its run's index."""
    name, limit = CHECKS[runs.component]
    value = metrics[name]
    passed = value <= limit
    message = pc.if_else(pa.array(passed), "", join(f"{name} ", text(value.round(3)), f" above {limit}"))
    failed = np.flatnonzero(~passed)
    reasons = join(f"check {name} failed (after): ", message.take(failed))
    rows = table("checks", {
        "run_id": runs.run_id, "start_time": times(runs.start), "ts": times(runs.end + 10_000),
        "name": pa.array([name] * len(value)), "phase": pa.array(["after"] * len(value)), "passed": passed,
        "value": value, "message": message})
    return rows, (failed, reasons)


def run_rows(runs: Runs, reasons: pa.ListArray) -> pa.Table:
    n = len(runs.start)
    code = code_hash(runs.component)
    return table("runs", {
        "run_id": runs.run_id, "start_time": times(runs.start), "end_time": times(runs.end),
        "status": pa.array(["ok"] * n), "git_commit": pa.array([hashlib.sha1(code.encode()).hexdigest()] * n),
        "code_hash": pa.array([code] * n), "host": pa.array([f"{runs.component}-worker-{i}" for i in range(4)]
                                                             ).take(runs.start // HOUR % 4),
        "pid": 1000 + runs.start // DAY % 30_000, "notes": pa.array([""] * n),  # a new worker process each day
        "stale": pc.greater(pc.list_value_length(reasons), 0), "stale_reasons": reasons})


def io_rows(runs: Runs, inputs: list[Pointers], outputs: list[Pointers]) -> pa.Table:
    blocks = [(p, "input") for p in inputs] + [(p, "output") for p in outputs]
    tables = [table("io", {
        "run_id": runs.run_id.take(p.run), "start_time": times(runs.start[p.run]),
        "end_time": times(runs.end[p.run]), "direction": pa.array([direction] * len(p.run)), "pointer": p.name,
        "pointer_type": pa.array([pointer_type(p.name[0].as_py())] * len(p.run)),
        "value": p.value if p.value is not None else pa.nulls(len(p.run), pa.float64())})
        for p, direction in blocks]
    return by_run(tables, [p.run for p, _ in blocks], "io")


def metric_rows(runs: Runs, metrics: dict[str, np.ndarray]) -> pa.Table:
    n = len(runs.start)
    tables = [table("metrics", {"run_id": runs.run_id, "start_time": times(runs.start),
                                "name": pa.array([name] * n), "value": values}) for name, values in metrics.items()]
    return by_run(tables, [np.arange(n)] * len(tables), "metrics")


def code_hash(component: str) -> str:
    return hashlib.blake2b(component.encode(), digest_size=16).hexdigest()


def metadata_tables() -> dict[str, pa.Table]:
    """The components and code event tables: one row per component, recorded when upstream first ran."""
    names = list(CHECKS)
    n = len(names)
    when = times(np.full(n, FIRST_DAY - WARMUP_DAYS * DAY))
    return {
        "components": table("components", {
            "name": pa.array(names), "description": pa.array([f"the taxi pipeline's {c} step" for c in names]),
            "owner": pa.array(["ml-platform"] * n), "tags": pa.array([["taxi"]] * n, pa.list_(pa.string())),
            "staleness_days": np.full(n, DEFAULT_STALENESS_DAYS), "ts": when}),
        "code": table("code", {"code_hash": pa.array([code_hash(c) for c in names]),
                               "source": pa.array([f"def {c}():\n    ...\n" for c in names]), "ts": when}),
    }


# -- writing --------------------------------------------------------------------------------------------------------

def write_partitions(root: Path, name: str, key_prefix: tuple, rows: pa.Table, stem: str) -> None:
    """Write `rows` (in time order) as one file per date partition, the date of `start_time` (or `ts`)."""
    column = "start_time" if "start_time" in rows.column_names else "ts"
    days = (rows[column].cast(pa.int64()).to_numpy() - FIRST_DAY) // DAY
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(days)) + 1, [len(days)]])
    for a, b in zip(bounds[:-1], bounds[1:]):
        date = str(np.datetime64(int(FIRST_DAY // DAY + days[a]), "D"))
        directory = partition_dir(root, name, (*key_prefix, date))
        directory.mkdir(parents=True, exist_ok=True)
        write_parquet(rows.slice(a, b - a), directory / f"{stem}.parquet")


def write_component(root: Path, component: str, tables: dict[str, pa.Table], stem: str) -> Counter:
    for name, rows in tables.items():
        if len(rows):
            write_partitions(root, name, (component,), rows, stem)
    return Counter({name: len(rows) for name, rows in tables.items()})


def generate(root: Path, inference_runs: int, predictions_per_run: int = 1, seed: int = 0,
             days: int = 365) -> dict:
    """Write a new store at `root`; returns the rows written per table."""
    if root.exists() and any(root.iterdir()):
        raise ValueError(f"{root} is not empty: the generator writes a new store")
    create_or_open(root)
    stem = new_id()
    rng = np.random.default_rng(seed)
    runs = upstream(days, rng)
    counts: Counter = Counter()
    for component, tables in upstream_tables(runs, rng).items():
        counts += write_component(root, component, tables, f"{stem}-000000")
    for name, rows in metadata_tables().items():
        write_partitions(root, name, (), rows, f"{stem}-000000")
        counts[name] += len(rows)
    commit(root, f"{stem}-000000")  # as a writer commits a flush: readers show its files from now on
    spacing = days * DAY // inference_runs
    for day in range(days):
        numbers = numbers_on_day(day, spacing, inference_runs)
        if len(numbers):
            tables = inference_day(day, numbers, spacing, predictions_per_run, runs, seed)
            counts += write_component(root, "inference", tables, f"{stem}-{day + 1:06d}")
            commit(root, f"{stem}-{day + 1:06d}")
    return dict(counts)


def disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="a new or empty directory")
    parser.add_argument("--runs", type=int, required=True, help="inference runs")
    parser.add_argument("--batch", type=int, default=1, help="predictions per inference run")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    began = time.perf_counter()
    counts = generate(args.root, args.runs, args.batch, args.seed, args.days)
    seconds = time.perf_counter() - began
    print(f"{args.runs:,} inference runs x {args.batch} predictions over {args.days} days in {seconds:.1f} s, "
          f"{disk_bytes(args.root) / 2**20:,.0f} MiB of Parquet at {args.root}")
    for name, rows in counts.items():
        print(f"  {name:<10} {rows:>14,} rows")


if __name__ == "__main__":
    main()
