"""The papers' taxi pipeline, logged with obsql over simulated time (January to June 2020 by default).

Five components, decorated the way a data scientist would:
- etl (daily): ingests the day's TLC trips; its `after_run` check fails when a column is too often null;
- clean (daily): drops impossible trips and fills missing fares with 0 (a bug the broken-meter day exposes;
  a missing payment type reads as "not a card" downstream, which the model leans on);
- featuregen (weekly, Mondays): refits its parameters and builds the offline training features; its job breaks for
  six weeks around the COVID onset, so everything downstream leans on one old run;
- train (weekly, Mondays): fits the tip model on the newest offline features (the same old ones during that gap);
- inference (hourly): computes online features (durations in whole minutes, unlike offline) and scores the hour's
  trips; each prediction id is an output pointer carrying its score. Tip labels arrive later as feedback, with
  delays, and some never.
A sixth component, monitor (daily), watches the others (see `monitoring`).
Faults baked in, with their dates in `FAULTS`: the broken-meter day, the late-March concept shift, the featuregen gap,
the online/offline skew.
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

import obsql
from obsql.demo import features, model, taxi
from obsql.demo.monitoring import ACCURACY_SLA, Reference, Watch, monitor
from obsql.progress import Progress

START = date(2020, 1, 1)
DEFAULT_DAYS = 182  # January 1 to June 30, 2020
FEATUREGEN_GAP = (date(2020, 3, 2), date(2020, 4, 13))  # featuregen does not run on the Mondays in [start, end)
NULL_LIMIT = 0.05
FEEDBACK_MEAN_DELAY_HOURS = 36.0
FEEDBACK_NEVER_SHARE = 0.15
DEMO_MARKER = "_demo.json"

FAULTS = {
    "broken meter (fare_amount and payment_type mostly null)": taxi.BROKEN_METER_DAY.isoformat(),
    "riders tip less (concept shift)": taxi.TIP_SHIFT_START.isoformat(),
    "featuregen not run, so not refit": f"{FEATUREGEN_GAP[0].isoformat()} to {FEATUREGEN_GAP[1].isoformat()}",
    "online durations in whole minutes (online/offline skew)": "always",
}


# -- components and their triggers --------------------------------------------------------------------------------
class Ingest(obsql.Component):
    """ETL: a check that no raw column is mostly null."""

    def after_run(self, trips: pl.DataFrame, **_) -> dict:
        shares = {name: trips[name].null_count() / max(trips.height, 1) for name in trips.columns}
        metrics = {"rows": trips.height, "null_frac_fare_amount": shares["fare_amount"],
                   "null_frac_payment_type": shares["payment_type"]}
        too_null = [name for name, share in shares.items() if share > NULL_LIMIT]
        if too_null:
            worst = max(shares[name] for name in too_null)
            raise obsql.CheckFailed(f"{', '.join(too_null)}: up to {worst:.0%} null (limit {NULL_LIMIT:.0%})",
                                    value=worst, name="null_fraction")
        return metrics


class Clean(obsql.Component):
    def after_run(self, trips: pl.DataFrame, dropped: int, **_) -> dict:
        return {"rows": trips.height, "dropped": dropped}


class Train(obsql.Component):
    def after_run(self, train_accuracy: float, rows: int, **_) -> dict:
        return {"train_accuracy": train_accuracy, "rows": rows}


class Inference(obsql.Component):
    """Business metrics first: the accuracy of recent labelled predictions carries the SLA; the estimate without
    labels and the mean prediction explain it."""

    def after_run(self, scores: np.ndarray, buckets: pl.Series, reference: Reference, watch: Watch, **_) -> dict:
        if len(scores) == 0:
            return {"predictions": 0}
        metrics = {"predictions": len(scores), "mean_prediction": float(np.mean(scores)),
                   "share_high_tip": float(np.mean(scores > 0.5)),
                   "estimated_accuracy": reference.estimated_accuracy(buckets),
                   "recent_accuracy": watch.recent_accuracy()}
        return {name: value for name, value in metrics.items() if value is not None}


etl_component = Ingest("etl", description="loads the day's TLC yellow-taxi trips", owner="data-eng",
                       tags=("taxi", "raw"), raise_on_failure=False)
clean_component = Clean("clean", description="drops impossible trips, fills missing fares", owner="data-eng",
                        tags=("taxi",))
featuregen_component = obsql.Component("featuregen", description="fits feature parameters, builds offline features",
                                       owner="ml", tags=("taxi", "features"))
train_component = Train("train", description="fits the high-tip classifier weekly", owner="ml",
                        tags=("taxi", "model"))
inference_component = Inference("inference", description="scores trips hourly (online features)", owner="ml",
                                tags=("taxi", "serving"), slas={"recent_accuracy": ACCURACY_SLA})


def raw_path(day: date) -> str:
    return f"raw/yellow/{day.isoformat()}.parquet"


def clean_path(day: date) -> str:
    return f"clean/trips/{day.isoformat()}.parquet"


def offline_path(week: date) -> str:
    return f"features/offline/{week.isoformat()}.parquet"


PARAMS_PATH = "featuregen/params.json"
MODEL_PATH = "models/tip-model.json"


@etl_component.run(input_vars=("source",), output_vars=("trips", "path"))
def etl(day: date, source: str, seed: int) -> pl.DataFrame:
    began = datetime.combine(day, time())  # the TLC files are in local, naive time
    trips = taxi.generate_trips(began, began + timedelta(days=1), seed=seed)
    path = raw_path(day)
    return trips


@clean_component.run(input_vars=("raw",), output_vars=("trips", "path"))
def clean(day: date, raw: str, trips_in: pl.DataFrame) -> pl.DataFrame:
    valid = trips_in.filter((pl.col("trip_distance") > 0) & (pl.col("fare_amount").fill_null(0) >= 0))
    dropped = trips_in.height - valid.height
    trips = valid.with_columns(pl.col("fare_amount").fill_null(0.0))  # the bug: a missing fare is not a free ride
    path = clean_path(day)
    return trips


@featuregen_component.run(input_vars=("inputs",), output_vars=("offline", "written"))
def featuregen(week: date, inputs: list[str], trips: pl.DataFrame) -> tuple[dict, pl.DataFrame]:
    params = features.fit_featuregen(trips)
    offline = features.make_features(trips, params).with_columns(high_tip=taxi.label(trips).cast(pl.Float64))
    written = [offline_path(week), PARAMS_PATH]
    return params, offline


@train_component.run(input_vars=("features_path",), output_vars=("model_path",))
def train(features_path: str, offline: pl.DataFrame) -> tuple[model.Model, Reference]:
    usable = offline.drop_nulls("high_tip")
    x = usable.select(features.FEATURE_COLUMNS)
    y = usable["high_tip"].cast(pl.Boolean)
    fitted = model.train(x, y)
    train_accuracy = model.accuracy(fitted.predict_proba(x), y)
    rows = usable.height
    model_path = MODEL_PATH
    return fitted, Reference.of(x, y, fitted)


@inference_component.run(input_vars=("inputs",), output_vars=("online",), output_values={"ids": "scores"})
def inference(hour: datetime, inputs: list[str], online: pl.DataFrame, buckets: pl.Series, fitted: model.Model,
              reference: Reference, watch: Watch) -> tuple[list[str], np.ndarray]:
    """Score one hour's trips from their online features (computed by the endpoint's feature code)."""
    scores = fitted.predict_proba(online) if online.height else np.zeros(0)
    stamp = hour.strftime("%Y%m%d%H")
    ids = [f"pred-{stamp}-{i:03d}" for i in range(online.height)]
    watch.release_until(hour)
    watch.predicted(ids, scores, hour, online)
    return ids, scores


# -- the simulation -----------------------------------------------------------------------------------------------
@dataclass
class DemoSummary:
    store: Path
    days: int
    runs: dict[str, int] = field(default_factory=dict)
    predictions: int = 0
    feedback: int = 0
    seconds: float = 0.0


def true_labels(trips: pl.DataFrame) -> np.ndarray:
    """High tip or not, from the payment record (the fare is recovered from the total when the meter lost it)."""
    fare = pl.col("total_amount") - pl.col("extra") - pl.col("mta_tax") - pl.col("tip_amount") \
        - pl.col("tolls_amount") - pl.col("improvement_surcharge")
    return trips.select(pl.col("tip_amount") > taxi.HIGH_TIP_SHARE * fare).to_series().to_numpy()


class Simulation:
    """Walks simulated time day by day, running each component when its schedule says so."""

    def __init__(self, store: obsql.Store, seed: int) -> None:
        self.store = store
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.params: dict | None = None
        self.offline: pl.DataFrame | None = None
        self.offline_path = ""
        self.fitted: model.Model | None = None
        self.reference: Reference | None = None
        self.watch = Watch()
        self.week_trips: list[tuple[date, pl.DataFrame]] = []
        self.summary = DemoSummary(store.path, 0)

    def day(self, day: date) -> None:
        midnight = datetime.combine(day, time(), tzinfo=timezone.utc)
        source = f"s3://nyc-tlc/trip data/yellow_tripdata_{day:%Y-%m}.csv"
        with obsql.clock(midnight):
            raw = etl(day, source, self.seed)
        with obsql.clock(midnight + timedelta(minutes=5)):
            cleaned = clean(day, raw_path(day), raw)
        self.count("etl", "clean")
        self.week_trips = [(d, t) for d, t in self.week_trips if d > day - timedelta(days=7)] + [(day, cleaned)]
        if day.weekday() == 0 or self.fitted is None:
            self.weekly(day, midnight)
        self.hourly(day, midnight, cleaned)
        evening = midnight + timedelta(hours=23, minutes=50)
        with obsql.clock(evening):
            monitor(evening, [clean_path(day), MODEL_PATH], self.watch.take_day(), self.reference, self.watch)
        self.count("monitor")
        self.summary.days += 1

    def weekly(self, day: date, midnight: datetime) -> None:
        """featuregen refits and builds training features (unless its job is broken); train fits on the newest."""
        if self.params is None or not (FEATUREGEN_GAP[0] <= day < FEATUREGEN_GAP[1]):
            trips = pl.concat([t for _, t in self.week_trips])
            inputs = [clean_path(d) for d, _ in self.week_trips]
            with obsql.clock(midnight + timedelta(minutes=10)):
                self.params, self.offline = featuregen(day, inputs, trips)
            self.offline_path = offline_path(day)
            self.watch.start_over()  # live data is now judged against new training data: old trends do not carry
            self.count("featuregen")
        with obsql.clock(midnight + timedelta(minutes=20)):
            self.fitted, self.reference = train(self.offline_path, self.offline)
        self.count("train")

    def hourly(self, day: date, midnight: datetime, cleaned: pl.DataFrame) -> None:
        """Inference on each hour's trips; features and buckets are computed for the day, then cut by hour."""
        online_day = features.make_features_online(cleaned, self.params)
        buckets_day = self.reference.buckets(online_day)
        hours = cleaned["tpep_pickup_datetime"].dt.hour().to_numpy()
        labels_day = true_labels(cleaned)
        for hour in range(24):
            in_hour = pl.Series(hours == hour)
            moment = midnight + timedelta(hours=hour, minutes=30)
            with obsql.clock(moment):
                ids, scores = inference(moment, [clean_path(day), PARAMS_PATH, MODEL_PATH],
                                        online_day.filter(in_hour), buckets_day.filter(in_hour), self.fitted,
                                        self.reference, self.watch)
            self.feedback(ids, labels_day[hours == hour], moment)
            self.count("inference")

    def count(self, *components: str) -> None:
        for name in components:
            self.summary.runs[name] = self.summary.runs.get(name, 0) + 1

    def feedback(self, ids: list[str], labels: np.ndarray, predicted_at: datetime) -> None:
        """Labels arrive after an exponential delay; some never arrive."""
        if not ids:
            return
        arrives = self.rng.random(len(ids)) >= FEEDBACK_NEVER_SHARE
        delays = self.rng.exponential(FEEDBACK_MEAN_DELAY_HOURS, len(ids))
        kept = np.flatnonzero(arrives)
        times = [predicted_at + timedelta(hours=float(delays[i])) for i in kept]
        self.store.log_feedback([ids[i] for i in kept], [int(labels[i]) for i in kept], ts=times)
        for i, at in zip(kept, times):
            self.watch.label_later(ids[i], int(labels[i]), at)
        self.summary.predictions += len(ids)
        self.summary.feedback += len(kept)


def prepare_store(path: Path) -> obsql.Store:
    """A fresh store for the demo; an earlier demo store at the same path is replaced, anything else refused."""
    if path.exists() and any(path.iterdir()):
        if not (path / DEMO_MARKER).exists():
            raise obsql.ObsqlError("input", f"{path} already holds data that the demo did not write",
                                   suggestion="pass --store with a new directory")
        shutil.rmtree(path)
    store = obsql.connect(path)
    return store


def run_demo(path: Path, days: int = DEFAULT_DAYS, seed: int = 0, progress: bool | None = None) -> DemoSummary:
    """Log the taxi pipeline for `days` days from 2020-01-01 into a fresh store at `path`. Progress goes to stderr:
    a bar on a terminal, else (with `progress` None) a line per simulated month; `progress` False shows none."""
    import time as wall

    began = wall.perf_counter()
    store = prepare_store(path)
    (store.path / DEMO_MARKER).write_text(json.dumps({"days": days, "seed": seed}) + "\n")
    simulation = Simulation(store, seed)
    with Progress(days, "obsql demo", enabled=progress) as bar:
        monthly = progress is None and not bar.enabled
        for offset in range(days):
            day = START + timedelta(days=offset)
            simulation.day(day)
            bar.advance(note=day.isoformat())
            if monthly and ((day + timedelta(days=1)).day == 1 or offset == days - 1):
                print(f"obsql demo: logged up to {day.isoformat()} ({offset + 1} of {days} days, "
                      f"{wall.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    store.flush()
    summary = simulation.summary
    summary.seconds = wall.perf_counter() - began
    return summary
