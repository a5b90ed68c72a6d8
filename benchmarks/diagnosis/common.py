"""What the two simulated pipelines share: faults and their ground truth, random streams, the lake, label joins,
small numpy models, the components teams put checks in, and the spec of a pipeline."""
from __future__ import annotations

import heapq
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import obsql

FAULTS = ("none", "null_spike", "concept_shift", "skew", "stale_refit")
DEFAULT_DAYS = 182
NULL_SPIKE_SHARE = 0.6
NULL_SPIKE_DAYS = (5, 10)  # a spike lasts 5 to 9 days
STALE_REFIT_WEEKS = (4, 7)  # the feature-fitting step does not run for 4 to 6 weeks
PERSISTING_LEAD_DAYS = 21  # a fault that does not end starts at least three weeks before the period does
METRIC_WINDOW = timedelta(days=7)  # business metrics are over the labelled predictions of the last week
SERVING_STALENESS_DAYS = 7  # what scoring reads is refit at least weekly: older than a week is stale
# The change detector each scoring component puts on the error of the labels that came back since its last batch
# (each label counted once): a month of daily batches before it tests, mean and spread learnt as it goes, and about
# one false alarm in two years (a pipeline has several sources of alarms to share its budget of one a month).
ARRIVED_DETECTOR = "page_hinkley(direction=up, arl=730)"


@dataclass(frozen=True)
class GroundTruth:
    """What was injected, where a diagnosis should point.

    `component` is the one a user should be pointed at, None for the control:
    - null_spike: the ingest source that delivered the column mostly null (`column`): the data went bad there, even
      though nothing fails there and the harm shows only in the scoring component's predictions;
    - concept_shift: the scoring component, `column` None: nothing upstream changed (the features' distributions
      did not move), the labels' relationship to the features did, so the honest answer is "the model is out of date"
      at the point where its predictions and the labels meet;
    - skew: the scoring component, `column` the feature its serving code computes differently from training;
    - stale_refit: the feature-fitting component whose scheduled refit stopped running, `column` None (its
      parameters are stale as a whole).
    `start` is the first day of the fault (for the control, a date drawn as the faults' are, so the control can be
    asked the same questions over the same range); `end` is the first day without it (None: it lasts to the end).
    """

    pipeline: str
    fault: str
    component: str | None
    column: str | None
    start: date
    end: date | None
    scoring_component: str
    description: str


@dataclass(frozen=True)
class FaultPlan:
    kind: str
    start: date
    end: date | None

    def active(self, kind: str, day: date) -> bool:
        return self.kind == kind and self.start <= day and (self.end is None or day < self.end)


def random_stream(seed: int, *keys: object) -> np.random.Generator:
    """An independent generator per concern (and day), so that injecting a fault leaves every other draw as it was."""
    return np.random.default_rng([seed, *(zlib.crc32(str(key).encode()) for key in keys)])


def plan_fault(pipeline: str, fault: str, first_day: date, days: int, seed: int,
               fault_start_day: int | None = None) -> FaultPlan:
    """When the fault starts (in the second half, drawn from the seed, unless `fault_start_day` forces it) and ends."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
    rng = random_stream(seed, pipeline, "fault", fault)
    length = {"null_spike": int(rng.integers(*NULL_SPIKE_DAYS)),
              "stale_refit": 7 * int(rng.integers(*STALE_REFIT_WEEKS))}.get(fault)
    if fault_start_day is None:
        latest = max(days // 2, days - (length or PERSISTING_LEAD_DAYS) - 7)
        fault_start_day = int(rng.integers(days // 2, latest + 1))
    start = first_day + timedelta(days=fault_start_day)
    if fault == "stale_refit":
        start += timedelta(days=-start.weekday() % 7)  # the first refit that does not run is a Monday's
    return FaultPlan(fault, start, None if length is None else start + timedelta(days=length))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def uuids(rng: np.random.Generator, n: int) -> list[str]:
    """n identifiers shaped like version-4 UUIDs."""
    digits = rng.bytes(16 * n).hex()
    return [f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{d[16:20]}-{d[20:32]}"
            for d in (digits[i:i + 32] for i in range(0, 32 * n, 32))]


def with_nulls(frame: pl.DataFrame, rng: np.random.Generator, shares: dict[str, float]) -> pl.DataFrame:
    """`frame` with each named column nulled at random in the given share of rows."""
    return frame.with_columns(pl.when(pl.Series(rng.random(frame.height) < share)).then(None)
                              .otherwise(pl.col(name)).alias(name) for name, share in shares.items())


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class Lake:
    """Where the pipelines keep their files: path -> frame or artifact (obsql sees the paths, as with real files)."""

    def __init__(self) -> None:
        self.files: dict[str, Any] = {}

    def write(self, path: str, content: Any) -> str:
        self.files[path] = content
        return path

    def read(self, path: str) -> Any:
        return self.files[path]

    def frames(self, paths: list[str]) -> pl.DataFrame:
        return pl.concat([self.files[path] for path in paths], how="vertical_relaxed")


class PendingLabels:
    """Labels on their way, released when simulated time reaches their arrival."""

    def __init__(self) -> None:
        self._heap: list[tuple] = []

    def push(self, arrival: datetime, key: str, *payload: Any) -> None:
        heapq.heappush(self._heap, (arrival, key, *payload))

    def arrived(self, until: datetime) -> list[tuple]:
        released = []
        while self._heap and self._heap[0][0] <= until:
            released.append(heapq.heappop(self._heap))
        return released


class LabelJoin:
    """The team's join of predictions with the labels that came back, which recent business metrics are computed on."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.scores: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.segments: list[np.ndarray] = []
        self.where: dict[str, tuple[int, int]] = {}
        self.arrivals: list[tuple[float, float, bool]] = []  # (score, label, in segment) of the labels come since

    def predicted(self, ids: list[str], scores: np.ndarray, moment: datetime,
                  segment: np.ndarray | None = None) -> None:
        """`segment` marks the rows of a slice the team also watches on its own (e.g. promoted products)."""
        batch = len(self.times)
        self.times.append(moment)
        self.scores.append(np.asarray(scores, dtype=float))
        self.segments.append(np.zeros(len(ids), dtype=bool) if segment is None else np.asarray(segment, dtype=bool))
        self.labels.append(np.full(len(ids), np.nan))
        self.where.update((pointer, (batch, row)) for row, pointer in enumerate(ids))

    def knows(self, pointer: str) -> bool:
        return pointer in self.where

    def labelled(self, ids: list[str], labels: list[float]) -> None:
        for pointer, label in zip(ids, labels):
            batch, row = self.where[pointer]
            self.labels[batch][row] = label
            self.arrivals.append((self.scores[batch][row], label, self.segments[batch][row]))

    def arrived(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores, labels, in segment) of the labels that came since the last call: a per-batch metric's rows, each
        label counted once (a change detector wants independent values, not an overlapping window)."""
        rows, self.arrivals = self.arrivals, []
        if not rows:
            return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
        scores, labels, segment = zip(*rows)
        return np.array(scores, dtype=float), np.array(labels, dtype=float), np.array(segment, dtype=bool)

    def recent(self, moment: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(scores, labels) of the predictions of the last METRIC_WINDOW whose labels have come."""
        chosen = [i for i, t in enumerate(self.times) if moment - METRIC_WINDOW <= t < moment]
        if not chosen:
            return np.zeros(0), np.zeros(0)
        scores = np.concatenate([self.scores[i] for i in chosen])
        labels = np.concatenate([self.labels[i] for i in chosen])
        known = ~np.isnan(labels)
        return scores[known], labels[known]


# -- small models, numpy only --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinearModel:
    """Weights over standardised named columns; a logistic model returns probabilities."""

    columns: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray
    intercept: float
    logistic: bool

    def predict(self, design: pl.DataFrame) -> np.ndarray:
        z = (design.select(self.columns).to_numpy() - self.means) / self.scales @ self.weights + self.intercept
        return sigmoid(z) if self.logistic else z


def fit_linear(design: pl.DataFrame, target: np.ndarray, *, logistic: bool, l2: float) -> LinearModel:
    """L2-regularised least squares, or logistic regression by Newton steps, on standardised columns."""
    raw = design.to_numpy().astype(float)
    means, spreads = raw.mean(axis=0), raw.std(axis=0)
    scales = np.where(spreads > 0, spreads, 1.0)
    x = np.column_stack([np.ones(len(raw)), (raw - means) / scales])
    penalty = np.diag(np.r_[0.0, np.full(raw.shape[1], l2)])
    if logistic:
        coefficients = newton_logistic(x, target, penalty)
    else:
        coefficients = np.linalg.solve(x.T @ x + penalty, x.T @ target)
    return LinearModel(tuple(design.columns), means, scales, coefficients[1:], float(coefficients[0]), logistic)


def newton_logistic(x: np.ndarray, y: np.ndarray, penalty: np.ndarray, steps: int = 25) -> np.ndarray:
    coefficients = np.zeros(x.shape[1])
    for _ in range(steps):
        p = sigmoid(x @ coefficients)
        step = np.linalg.solve((x.T * (p * (1 - p))) @ x + penalty, x.T @ (p - y) + penalty @ coefficients)
        coefficients -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return coefficients


class Ingest(obsql.Component):
    """A step landing a frame in the lake: its row count, the number every team graphs, and any other number its
    code keeps in a variable named in `measures`."""

    def __init__(self, name: str, description: str, frame: str, measures: tuple[str, ...] = (),
                 **options: Any) -> None:
        super().__init__(name, description=description, **options)
        self.frame, self.measures = frame, measures

    def after_run(self, **values: Any) -> dict:
        return {"rows": values[self.frame].height, **{name: values[name] for name in self.measures}}


class KeyedIngest(Ingest):
    """An ingest whose key columns must be there: a feed missing them is broken, not noisy."""

    def __init__(self, name: str, description: str, frame: str, keys: tuple[str, ...], limit: float,
                 **options: Any) -> None:
        super().__init__(name, description, frame, raise_on_failure=False, **options)
        self.keys, self.limit = keys, limit

    def after_run(self, **values: Any) -> dict:
        measured = super().after_run(**values)
        frame = values[self.frame]
        shares = {key: frame[key].null_count() / max(frame.height, 1) for key in self.keys}
        worst = max(shares, key=shares.get)
        if shares[worst] > self.limit:
            raise obsql.CheckFailed(f"{worst} is {shares[worst]:.1%} null (limit {self.limit:.0%})",
                                    value=shares[worst], name="key_nulls", metrics=measured)
        return measured


class GatedTrainer(obsql.Component):
    """A model refit whose holdout metric must clear a bar before anyone trusts it (the check is recorded; the
    scheduler deploys the model regardless, as many do)."""

    def __init__(self, name: str, description: str, metric: str, op: str, bound: float, **options: Any) -> None:
        super().__init__(name, description=description, raise_on_failure=False, **options)
        self.metric, self.op, self.bound = metric, op, bound

    def after_run(self, report: dict, **_: Any) -> dict:
        value = report[self.metric]
        passes = value >= self.bound if self.op == ">=" else value <= self.bound
        if not passes:
            raise obsql.CheckFailed(f"holdout {self.metric} {value:.3f}, needs {self.op} {self.bound}", value=value,
                                    name=f"holdout_{self.metric}", metrics=report)
        return report


# == running a simulation ============================================================================================
@dataclass(frozen=True)
class Pipeline:
    """A simulated pipeline: its first day, its simulation, and for each fault (component, column, what happens)."""

    name: str
    first_day: date
    simulation: type
    faults: dict[str, tuple[str, str | None, str]]

    @property
    def components(self) -> tuple[str, ...]:
        return self.simulation.components

    @property
    def scoring_component(self) -> str:
        return self.simulation.scoring

    def ground_truth(self, plan: FaultPlan) -> GroundTruth:
        if plan.kind == "none":
            return GroundTruth(self.name, "none", None, None, plan.start, None, self.scoring_component,
                               "no fault injected (the control)")
        component, column, what = self.faults[plan.kind]
        until = f" until {plan.end}" if plan.end else ""
        return GroundTruth(self.name, plan.kind, component, column, plan.start, plan.end, self.scoring_component,
                           f"from {plan.start}{until}, {what}")


def fresh_store(path: Path) -> obsql.Store:
    if path.exists() and any(path.iterdir()):
        raise ValueError(f"{path} is not empty: the simulation writes a new store")
    return obsql.connect(path)
