"""Accuracy with delayed labels: join the prediction and feedback streams in bounded memory.

Predictions wait for their feedback in a sample of at most `capacity` rows; once joined, a prediction is folded into
running sums (overall, per time bucket of its prediction time, and for the last `capacity` joins) and forgotten.
When more than `capacity` predictions are waiting, the sampling rate halves and waiting predictions whose random
key is above it are evicted; when the waiting set has room again the rate doubles for new predictions. A prediction
that waited through rate r is kept with probability exactly r, independently of when its feedback comes, so each
joined prediction counts with weight 1 / r (Horvitz-Thompson). This keeps the estimate unbiased even when feedback
delays differ by outcome, which a plain reservoir (fixed slots; long waits evicted more) would not.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Hashable

import numpy as np

from obsql.monitor.correctness import Correctness, parse_correctness


@dataclass(frozen=True)
class AccuracyInterval:
    """An accuracy estimate with its interval, and how many joined predictions stand behind it."""

    estimate: float | None
    low: float | None
    high: float | None
    joined: int
    effective_size: float  # Kish's (sum w)^2 / sum w^2; equals `joined` while nothing was evicted


@dataclass
class _Sums:
    weight: float = 0.0
    correct: float = 0.0
    squared: float = 0.0
    count: int = 0

    def add(self, weight: float, correct: bool) -> None:
        self.weight += weight
        self.correct += weight * correct
        self.squared += weight * weight
        self.count += 1

    def merge(self, other: _Sums) -> None:
        self.weight += other.weight
        self.correct += other.correct
        self.squared += other.squared
        self.count += other.count


class FeedbackJoin:
    """Joins predictions with feedback that may come later (or earlier), holding at most ~4 x capacity rows.

    Timestamps are datetimes or numbers of seconds. Windows are measured back from the latest timestamp seen, at
    the resolution of `bucket`, and reach back at most `capacity` buckets.

    Error bound: with probability `confidence`, the accuracy of all predictions whose feedback has arrived lies in
    `accuracy_interval()`: Hoeffding's bound sqrt(ln(2 / (1 - confidence)) / (2 n)) at Kish's effective size n of
    the weighted sample (approximate for weighted samples, conservative in the tests). While nothing has been
    evicted the answer is exact and the interval has zero width.
    """

    def __init__(self, capacity: int, bucket: timedelta | float = timedelta(minutes=1), *, seed: int = 0,
                 correct: str | Correctness | None = None) -> None:
        """`correct` is the rule a prediction is right by (see `correctness`; binary at 0.5 by default)."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.correct = parse_correctness(correct)
        self.bucket_seconds = _seconds(bucket)
        self._rng = np.random.default_rng(seed)
        self._rate = 1.0
        self._waiting: dict[Hashable, tuple[float, Any, float, float]] = {}  # id -> (ts, prediction, key, rate)
        self._early: dict[Hashable, Any] = {}  # feedback whose prediction has not come (or was evicted)
        self._total = _Sums()
        self._buckets: dict[int, _Sums] = {}
        self._recent: deque[tuple[float, bool]] = deque(maxlen=capacity)
        self._latest = -math.inf
        self.predictions = self.joined = self.evicted = self.feedback = self.unmatched_feedback = 0

    @property
    def pending(self) -> int:
        """Predictions held while they wait for feedback."""
        return len(self._waiting)

    @property
    def memory_rows(self) -> int:
        """Rows held: waiting predictions, early feedback, time buckets and recent joins (each at most capacity)."""
        return len(self._waiting) + len(self._early) + len(self._buckets) + len(self._recent)

    @property
    def sampling_rate(self) -> float:
        """The probability that a new prediction is kept while it waits."""
        return self._rate

    def add_prediction(self, id: Hashable, ts: datetime | float, prediction: Any) -> None:
        """Record a prediction; joined at once if its feedback came first."""
        seconds = self._see(ts)
        self.predictions += 1
        if id in self._early:
            self._fold(seconds, prediction, self._early.pop(id), 1.0)
            return
        if self._rate < 1.0 and len(self._waiting) < self.capacity // 2:
            self._rate = min(1.0, self._rate * 2)
        key = self._rng.random()
        if key >= self._rate:
            self.evicted += 1
            return
        self._waiting[id] = (seconds, prediction, key, self._rate)
        while len(self._waiting) > self.capacity:
            self._thin()

    def add_feedback(self, id: Hashable, ts: datetime | float, label: Any) -> None:
        """Record feedback; joined with its prediction if held, else kept (bounded) in case the prediction comes."""
        self._see(ts)
        self.feedback += 1
        if id in self._waiting:
            seconds, prediction, _, rate = self._waiting.pop(id)
            self._fold(seconds, prediction, label, 1.0 / rate)
            return
        self._early[id] = label
        if len(self._early) > self.capacity:
            del self._early[next(iter(self._early))]
            self.unmatched_feedback += 1

    def accuracy(self, window: timedelta | float | None = None, last: int | None = None) -> float | None:
        """Accuracy of joined predictions: all of them, those made in the last `window`, or the `last` n joined."""
        return self.accuracy_interval(window=window, last=last).estimate

    def accuracy_interval(self, window: timedelta | float | None = None, last: int | None = None,
                          confidence: float = 0.95) -> AccuracyInterval:
        """`accuracy` with a `confidence` interval (see the class docstring)."""
        sums = self._selected(window, last)
        if sums.count == 0:
            return AccuracyInterval(None, None, None, 0, 0.0)
        estimate = sums.correct / sums.weight
        effective = sums.weight**2 / sums.squared
        half = 0.0 if self.evicted == 0 else math.sqrt(math.log(2 / (1 - confidence)) / (2 * effective))
        return AccuracyInterval(estimate, max(estimate - half, 0.0), min(estimate + half, 1.0), sums.count, effective)

    def _selected(self, window: timedelta | float | None, last: int | None) -> _Sums:
        if window is not None and last is not None:
            raise ValueError("give a window or a count, not both")
        if last is not None:
            if last > self.capacity:
                raise ValueError(f"only the last {self.capacity} joined predictions are kept")
            sums = _Sums()
            for weight, correct in list(self._recent)[-last:] if last > 0 else []:
                sums.add(weight, correct)
            return sums
        if window is None:
            return self._total
        span = _seconds(window)
        if span > self.capacity * self.bucket_seconds:
            raise ValueError(f"windows reach back at most {self.capacity} buckets")
        if not self._buckets:  # nothing seen yet: no window to place
            return _Sums()
        first = math.floor((self._latest - span) / self.bucket_seconds)
        sums = _Sums()
        for key, bucket in self._buckets.items():
            if key >= first:
                sums.merge(bucket)
        return sums

    def _see(self, ts: datetime | float) -> float:
        seconds = _seconds(ts)
        self._latest = max(self._latest, seconds)
        return seconds

    def _thin(self) -> None:
        """Halve the sampling rate and evict the waiting predictions whose key is no longer under it."""
        self._rate /= 2
        for id, (seconds, prediction, key, rate) in list(self._waiting.items()):
            if key >= self._rate:
                del self._waiting[id]
                self.evicted += 1
            elif rate > self._rate:
                self._waiting[id] = (seconds, prediction, key, self._rate)

    def _fold(self, seconds: float, prediction: Any, label: Any, weight: float) -> None:
        correct = self.correct.is_correct(prediction, label)
        self.joined += 1
        self._total.add(weight, correct)
        self._recent.append((weight, correct))
        key = math.floor(seconds / self.bucket_seconds)
        if key not in self._buckets:
            self._buckets[key] = _Sums()
            if len(self._buckets) > self.capacity:
                oldest = min(self._buckets)
                del self._buckets[oldest]
                if oldest == key:
                    return
        self._buckets[key].add(weight, correct)


def _seconds(value: datetime | timedelta | float) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()  # naive means UTC
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
