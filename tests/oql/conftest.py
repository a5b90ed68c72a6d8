"""A small store with a known shape, logged once per test session, for tables of (OQL, expected rows).

    etl (day 0) -> data.parquet -> clean (0d+1h) -> clean.parquet -> features (0d+2h) -> features.parquet
    train (0d+3h) reads features.parquet and clean.parquet (a diamond) -> model.pkl (version 1)
    features (1d+1h) -> features-v2.parquet (a fresher run nobody reads yet)
    train (1d) reads features.parquet -> model.pkl (version 2)
    infer (2d) reads model.pkl, features.parquet -> pred-1 (0.9), pred-2 (0.2)   [stale: features has a fresher run]
    online (3d), online (4d) read and rewrite weights.bin (a cycle across versions)
    validate (5d) reads clean.parquet; its after_run check fails (not raised)
    infer (40d) reads model.pkl -> pred-3 (0.7)                                     [stale: train ran 39 days ago]
    feedback: pred-1 -> 1, pred-2 -> 1, pred-3 -> 0
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import obsql
from obsql.storage.compact import compact

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=41)


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


class Validate(obsql.Component):
    def after_run(self, **values):
        raise obsql.CheckFailed("too many rows dropped", value=0.4, name="dropped_share")


def step(name, start, inputs=(), outputs=(), metrics=None, values=None, component=None):
    with obsql.run(component or name, inputs=inputs, start=start, end=start + timedelta(minutes=5)) as r:
        r.add_output(list(outputs), values=values)
        for metric, value in (metrics or {}).items():
            r.log_metric(metric, value)


def build(path, compact_midway: bool = False) -> obsql.Store:
    store = obsql.connect(path)
    step("etl", at(0), ["raw.csv"], ["data.parquet"], {"rows": 100})
    step("clean", at(0, 1), ["data.parquet"], ["clean.parquet"], {"rows": 90})
    step("features", at(0, 2), ["clean.parquet"], ["features.parquet"])
    step("train", at(0, 3), ["features.parquet", "clean.parquet"], ["model.pkl"], {"accuracy": 0.8})
    if compact_midway:  # the lineage index then covers these runs; lineage views add the ones logged after
        store.flush()
        compact(store.files.root)
    step("train", at(1), ["features.parquet"], ["model.pkl"], {"accuracy": 0.85})
    step("features", at(1, 1), ["clean.parquet"], ["features-v2.parquet"])
    step("infer", at(2), ["model.pkl", "features.parquet"], ["pred-1", "pred-2"], values=[0.9, 0.2])
    step("online", at(3), ["weights.bin"], ["weights.bin"])
    step("online", at(4), ["weights.bin"], ["weights.bin"])
    step("validate", at(5), ["clean.parquet"], [], component=Validate("validate", raise_on_failure=False))
    step("infer", at(40), ["model.pkl"], ["pred-3"], values=[0.7])
    store.log_feedback(["pred-1", "pred-2", "pred-3"], [1, 1, 0], ts=at(41))
    store.flush()
    return store


@pytest.fixture(scope="session", params=["raw files", "compacted midway"])
def small(request, tmp_path_factory) -> obsql.Store:
    """The store, read from its raw files only, or compacted after four runs: then lineage reads the index for those
    and the raw files for the rest, and every answer must be the same."""
    return build(tmp_path_factory.mktemp("oql") / "store", compact_midway=request.param == "compacted midway")


def answer(store: obsql.Store, text: str) -> obsql.Result:
    results = store.engine.run(text, now=NOW)
    return results[-1]
