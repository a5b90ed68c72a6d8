"""Bucketed history read from the index's hourly rollups gives what the raw runs give: with the index built halfway
(rollups plus the files since), with a range that starts and ends inside an hour, and for every bucket width."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

import obsql
from obsql.storage.compact import compact

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
SINCE, UNTIL = T0 + timedelta(hours=7, minutes=41), T0 + timedelta(days=9, hours=3, minutes=5)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sensor pipeline: `calibrate` runs at irregular times over ten days, logging drift_ppm (sometimes missing)
    and a reading count; the store is compacted (index built) after five days, then logs five more."""
    store = obsql.connect(tmp_path_factory.mktemp("rollups") / "store")
    rng = random.Random(7)
    runs = []
    for day in range(10):
        if day == 5:
            store.flush()
            compact(store.files.root)
        for _ in range(rng.randint(3, 9)):
            start = T0 + timedelta(days=day, seconds=rng.randrange(86_400))
            drift = rng.gauss(3.0, 1.5) if rng.random() > 0.2 else None
            with obsql.run("calibrate", inputs=["sensors/rack-a"], start=start,
                           end=start + timedelta(seconds=rng.randint(1, 900))) as run:
                run.add_output([f"calib/{start:%Y%m%dT%H%M%S}"])
                if drift is not None:
                    run.log_metric("drift_ppm", drift)
                run.log_metric("readings", float(rng.randint(100, 200)))
            runs.append(start)
    store.flush()
    return store


def per_run(store, since=None, until=None) -> list[dict]:
    window = (f" since @{since:%Y-%m-%dT%H:%M:%S} until @{until:%Y-%m-%dT%H:%M:%S}" if since else "")
    return store.query(f"history calibrate metric drift_ppm, readings, duration_s{window}").to_dicts()


def buckets_of(rows: list[dict], bucket) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[bucket(row["start_time"])].append(row)
    mean = lambda values: sum(values) / len(values) if values else None  # noqa: E731
    return {at: (len(rs), mean([r["drift_ppm"] for r in rs if r["drift_ppm"] is not None]),
                 mean([r["readings"] for r in rs]), mean([r["duration_s"] for r in rs])) for at, rs in grouped.items()}


def day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def six_hours(moment: datetime) -> datetime:
    return moment.replace(hour=moment.hour - moment.hour % 6, minute=0, second=0, microsecond=0)


@pytest.mark.parametrize("every, bucket", [("1 day", day), ("6 hours", six_hours), ("1 hour", lambda m: m.replace(
    minute=0, second=0, microsecond=0))], ids=["day", "six-hours", "hour"])
@pytest.mark.parametrize("ranged", [False, True], ids=["all", "part-hours"])
def test_buckets_equal_the_raw_runs(store, every, bucket, ranged):
    window = (SINCE, UNTIL) if ranged else (None, None)
    expected = buckets_of(per_run(store, *window), bucket)
    text = " since @%s until @%s" % (SINCE.strftime("%Y-%m-%dT%H:%M"), UNTIL.strftime("%Y-%m-%dT%H:%M")) if ranged else ""
    found = store.query(f"history calibrate metric drift_ppm, readings, duration_s{text} every {every}").to_dicts()
    assert {row["bucket"]: (row["runs"], row["drift_ppm"], row["readings"], row["duration_s"]) for row in found} == {
        at: (n, pytest.approx(d) if d is not None else None, pytest.approx(r), pytest.approx(s))
        for at, (n, d, r, s) in expected.items()}


def test_a_range_inside_one_hour_reads_the_raw_rows(store):
    rows = per_run(store)
    start = rows[len(rows) // 2]["start_time"]
    since, until = start - timedelta(seconds=1), start + timedelta(seconds=1)
    found = store.query(f"history calibrate metric readings since @{since:%Y-%m-%dT%H:%M:%S} "
                        f"until @{until:%Y-%m-%dT%H:%M:%S} every 1 day").to_dicts()
    assert [(row["runs"], row["readings"]) for row in found] == [(1, rows[len(rows) // 2]["readings"])]


def test_history_reads_the_rollups_of_the_index(store):
    from obsql.storage import lineage_index

    assert lineage_index.covered_files(store.files.root)  # built halfway: rollups plus the files since
    plan = store.query("history calibrate metric drift_ppm every 1 day").sql
    assert "hourly_metrics" in plan and "hourly_runs" in plan
