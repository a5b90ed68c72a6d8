"""Streaming change detectors on metrics: `Component(detectors={"accuracy": "page_hinkley", "error_rate": "ddm"})`.

A fixed SLA bound near a noisy metric flaps (the metric hovers around it) or lags (the bound is set far from normal
to stop the flapping). A change detector instead learns what the metric's values are like and alarms when they
move. Each one here takes one value at a time (`update(x) -> bool`, True when it detects a change at this value),
says which way the change went (`last_change`: 'up' or 'down') and then resets itself to find the next one:

- `PageHinkley`: Page's cumulative test against the running mean; a lasting shift of the mean, either way.
- `Cusum`: the two-sided tabular CUSUM against a target mean, given or estimated from a warm-up.
- `Adwin`: ADWIN, an adaptive window, cut where two sub-windows' means differ beyond a bound from its variance; its
  buckets form an exponential histogram, so memory grows as the log of the window.
- `Ddm`: Gama et al.'s drift detection method over an error stream (0/1 per prediction, or a rate per run), with
  a warning level before the drift level; it looks for the error rate going up.

`parse_detectors` reads a declaration (`"adwin"`, `"adwin(delta=0.002)"`, `"cusum(target=120, direction=up)"`, or a
detector instance); `direction=up` or `direction=down` makes PageHinkley, Cusum and Adwin report one way only.
They still follow the stream both ways: a change the other way resets them without a report, so that a later change
their way is measured from the level the stream is at, not from a mix of the levels before and after the other.
`AlertWatch` (in `slas`) turns detections into the same alerts as SLAs: a `violated` event at a detection, and a
`resolved` one when the detector, warmed up again after its reset, has seen `RESOLVE_AFTER` values in a row without a
change. The alert stores the detector's name as its `op` and the `bound` its class documents as its threshold.

Every detector assumes roughly independent values: an overlapping window (a rolling accuracy) moves slowly and
looks like a change sooner than it should; feed it per-batch metrics where there is the choice.
"""
from __future__ import annotations

import ast
import inspect
import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from obsql.monitor.slas import AlertEvent

DIRECTIONS = ("both", "up", "down")


class Detector(ABC):
    """A change detector over a stream of numbers. Subclasses implement `_step` (one value in, the direction of a
    change found at it or None) and reset themselves after a change."""

    name: ClassVar[str]
    accepted: ClassVar[str] = "finite numbers"  # what `accepts` lets through, for the error message

    def __init__(self, direction: str = "both") -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
        self.direction = direction
        self.last_change: str | None = None  # 'up' or 'down': which way the latest detected change went

    def update(self, x: float) -> bool:
        """Take the next value; True when a change is detected at it (`last_change` then says which way)."""
        x = float(x)
        if not self.accepts(x):
            raise ValueError(f"{self.name} cannot take {x!r}: it takes {self.accepted}")
        change = self._step(x)
        if change is not None:
            self.last_change = change
        return change is not None

    def accepts(self, x: float) -> bool:
        return math.isfinite(x)

    @property
    @abstractmethod
    def ready(self) -> bool:
        """Whether it has seen enough values since its last reset to detect a change (quiet values count as
        evidence that a change is over only once it is)."""

    @property
    @abstractmethod
    def bound(self) -> float:
        """The threshold an alert from it stores as its `bound`."""

    @abstractmethod
    def _step(self, x: float) -> str | None: ...

    def _watches(self, change: str) -> bool:
        return self.direction in ("both", change)

    def _reported(self, *, up: bool, down: bool) -> str | None:
        """The direction of a change its tests found that `direction` lets it report, if any."""
        if up and self._watches("up"):
            return "up"
        if down and self._watches("down"):
            return "down"
        return None


class _Moments:
    """Running count, mean and sample standard deviation (Welford's update, stable for long streams)."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self._squares = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        before = x - self.mean
        self.mean += before / self.n
        self._squares += before * (x - self.mean)

    @property
    def variance(self) -> float:
        return self._squares / (self.n - 1) if self.n >= 2 else 0.0

    @property
    def std(self) -> float:
        variance = self.variance
        return math.sqrt(variance) if variance >= 0 else math.inf  # values near the float limit overflow: no scale


DEFAULT_PAGE_HINKLEY_THRESHOLD = 10.0
DEFAULT_CUSUM_H = 14.0


def _threshold(given: float | None, arl: float | None, default: float, allowance: float, direction: str,
               name: str) -> float:
    """A cumulative test's decision threshold: the one given, or the one whose false alarms come about once in
    `arl` values (both sides watched share that rate), or the default."""
    if given is not None and arl is not None:
        raise ValueError(f"give {name} or arl, not both: arl sets {name}")
    if arl is not None:
        return decision_interval(_at_least("arl", arl, 2.0) * (2 if direction == "both" else 1), allowance)
    return default if given is None else _positive(name, given)


def in_control_run_length(h: float, k: float) -> float:
    """Siegmund's approximation of a one-sided CUSUM's average run length on a steady stream (h, k in sigmas)."""
    b = h + 1.166
    if k < 1e-6:  # the limit as k goes to 0 (the general form cancels to noise there)
        return b * b
    return (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)


def decision_interval(run_length: float, k: float) -> float:
    """The h whose one-sided in-control run length is `run_length` values (the inverse of the above)."""
    if run_length <= in_control_run_length(0.0, k):
        raise ValueError(f"arl must be above {in_control_run_length(0.0, k):.3g} values per side with k={k:g}")
    low, high = 0.0, 1.0
    while in_control_run_length(high, k) < run_length:
        low, high = high, 2 * high
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if in_control_run_length(middle, k) < run_length else (low, middle)
    return (low + high) / 2


class PageHinkley(Detector):
    """Page-Hinkley test: the cumulative deviation of the values from their running mean, less an allowance `delta`
    per value, alarms when it climbs `threshold` above its lowest point (a rise; mirrored for a fall).

    `delta` and `threshold` are in standard deviations of the stream (estimated as it goes), so the defaults fit an
    accuracy and a latency alike. On independent normal noise a shift of one standard deviation is found in about 20
    values and one of two in about 6, and one stream of 5,000 stationary values in 17 raises a false alarm. No test
    before `min_samples` values. After a change it forgets the mean but not the spread: a metric's noise rarely
    changes with its level, so the spread learnt before counts as `min_samples` values' worth beside the new ones,
    and it tests again after `rewarm` values (10: the mean of ten values is within a third of a standard deviation),
    rather than going blind for another warm-up while a second change can come (`rewarm=min_samples` forgets
    all). Alert bound: `threshold`.

    `arl` sets `threshold` from a false-alarm rate instead, as for `Cusum` (the same run-length formula, `delta` as
    its allowance): `page_hinkley(arl=365)` alarms about once a year on a steady daily metric (measured on normal
    noise: 211 values after the warm-up for arl=200). As its mean and spread are learnt as it goes, it suits a
    stream whose first values are calmer than the rest, where a cusum's warm-up would set its scale too small.

    `jump` (in standard deviations) also calls a change at once when one value lies that far from the mean of those
    before it: a cumulative sum needs several values to pass its threshold even when the first one after a shift is
    far out (Lucas's combined Shewhart-CUSUM scheme). With `arl` and no `jump`, the jump limit is the normal
    quantile that adds a tenth of `arl`'s false alarms (3.6 standard deviations one way at arl=730); without
    `arl`, none unless given.
    """

    name = "page_hinkley"

    def __init__(self, delta: float = 0.5, threshold: float | None = None, min_samples: int = 30,
                 direction: str = "both", arl: float | None = None, jump: float | None = None,
                 rewarm: int = 10) -> None:
        super().__init__(direction)
        self.delta = _at_least("delta", delta, 0.0)
        self.threshold = _threshold(threshold, arl, DEFAULT_PAGE_HINKLEY_THRESHOLD, self.delta, direction, "threshold")
        self.min_samples = _count("min_samples", min_samples, 2)
        self.rewarm = min(_count("rewarm", rewarm, 2), self.min_samples)
        self._prior: tuple[float, int] | None = None  # (variance, its degrees of freedom) learnt before a change
        if jump is not None:
            self.jump: float | None = _positive("jump", jump)
        else:
            self.jump = None if arl is None else _jump_limit(arl, direction)
        self._reset()

    def _reset(self) -> None:
        self._moments = _Moments()
        self._rise = 0.0  # cumulative sum minus its minimum so far, for a rise
        self._fall = 0.0

    @property
    def ready(self) -> bool:
        return self._moments.n >= (self.min_samples if self._prior is None else self.rewarm)

    @property
    def bound(self) -> float:
        return self.threshold

    def _sigma(self) -> float:
        """The spread of the values since the last reset, pooled with the one learnt before it."""
        if self._prior is None:
            return self._moments.std
        variance, weight = self._prior
        own = max(self._moments.n - 1, 0)
        pooled = (weight * variance + own * self._moments.variance) / (weight + own)
        return math.sqrt(pooled) if pooled >= 0 else math.inf

    def _step(self, x: float) -> str | None:
        jumped = self._jumped(x)
        self._moments.add(x)
        sigma = self._sigma()
        deviation = x - self._moments.mean
        self._rise = max(0.0, self._rise + deviation - self.delta * sigma)
        self._fall = max(0.0, self._fall - deviation - self.delta * sigma)
        if not self.ready:
            return None
        up = self._rise > self.threshold * sigma or jumped == "up"
        down = self._fall > self.threshold * sigma or jumped == "down"
        if up or down:
            self._prior = (sigma * sigma, self.min_samples - 1)
            self._reset()
        return self._reported(up=up, down=down)

    def _jumped(self, x: float) -> str | None:
        """'up' or 'down' when `x` lies more than `jump` standard deviations from the mean of the values before it."""
        if self.jump is None or not self.ready:
            return None
        sigma = self._sigma()
        if not 0 < sigma < math.inf:
            return None
        z = (x - self._moments.mean) / sigma
        return "up" if z > self.jump else "down" if z < -self.jump else None


JUMP_SHARE = 10  # the jump rule adds a tenth of the false alarms an arl allows


def _jump_limit(arl: float, direction: str) -> float:
    """The z beyond which one normal value lies once in 10 * `arl` values (per side watched)."""
    from statistics import NormalDist

    sides = 2 if direction == "both" else 1
    return NormalDist().inv_cdf(1 - 1 / (JUMP_SHARE * _at_least("arl", arl, 2.0) * sides))


class Cusum(Detector):
    """Two-sided tabular CUSUM: standardised values z = (x - target) / sigma feed an upper sum max(0, C + z - k) and
    a lower one max(0, C - z - k); either passing `h` is a change.

    `k` (the allowance, half the shift worth finding) and `h` (the decision interval) are in standard deviations.
    The default h = 14 is well above the textbook 4 or 5, whose two-sided chart raises a false alarm every couple of
    hundred values (every ten days on an hourly metric), and more often still with an estimated target. `target` and
    `sigma`, when not given, are the mean and standard deviation of the first `warmup` values, and again of the
    `warmup` values after each change (the stream has a new level); given ones are kept, so a stream that stays off
    target alarms again after each reset. With the defaults, on independent normal noise, a shift of one standard
    deviation is found in about 28 values and one of two in about 9, and one stream of 5,000 stationary values in
    20 raises a false alarm (one in several hundred with target and sigma given: the estimates' error is most of
    it, so a longer warm-up, or a known target, alarms falsely less). Alert bound: `h`.

    `arl` sets `h` from the false-alarm rate a user can live with instead: about one false alarm in `arl` values of a
    steady stream (`cusum(arl=365)` on a daily metric: about one a year). `h` is found from Siegmund's approximation
    of the in-control average run length, exp(2k(h + 1.166)) - 2k(h + 1.166) - 1) / (2k^2) per watched side (two
    sides share the rate). The formula assumes target and sigma known, and then holds closely (measured in
    tests/monitor/test_detectors.py: 199 values for arl=200). Estimated from a 30-value warm-up, the median run is
    about the same but some streams alarm much sooner and others hardly ever, as the estimates land low or high.
    """

    name = "cusum"

    def __init__(self, k: float = 0.5, h: float | None = None, warmup: int = 100, target: float | None = None,
                 sigma: float | None = None, direction: str = "both", arl: float | None = None) -> None:
        super().__init__(direction)
        self.k = _at_least("k", k, 0.0)
        self.h = _threshold(h, arl, DEFAULT_CUSUM_H, self.k, direction, "h")
        self.warmup = _count("warmup", warmup, 2)
        self.target = None if target is None else _finite("target", target)
        self.sigma = None if sigma is None else _positive("sigma", sigma)
        self._reset()

    def _reset(self) -> None:
        self._warmup = _Moments()
        self._target, self._sigma = self.target, self.sigma
        self._upper = self._lower = 0.0

    @property
    def ready(self) -> bool:
        return self._target is not None and self._sigma is not None

    @property
    def bound(self) -> float:
        return self.h

    def _step(self, x: float) -> str | None:
        if not self.ready:
            self._calibrate(x)
            return None
        z = (x - self._target) / self._sigma
        self._upper = max(0.0, self._upper + z - self.k)
        self._lower = max(0.0, self._lower - z - self.k)
        up, down = self._upper > self.h, self._lower > self.h
        if up or down:
            self._reset()
        return self._reported(up=up, down=down)

    def _calibrate(self, x: float) -> None:
        """Learn the target and sigma not given from the warm-up values."""
        self._warmup.add(x)
        if self._warmup.n < self.warmup:
            return
        if self._target is None:
            self._target = self._warmup.mean
        if self._sigma is None:  # a constant warm-up: any later move is a change, by a floor far below its scale
            self._sigma = max(self._warmup.std, 1e-9 * max(1.0, abs(self._warmup.mean)))


class Adwin(Detector):
    """ADWIN (Bifet and Gavalda, 2007): keeps a window of recent values and drops its older part whenever some split
    into an older and a newer sub-window has means further apart than eps_cut, where, with m = 1 / (1/n0 + 1/n1),
    variance v of the window and delta' = delta / ln(window):

        eps_cut = sqrt(2 / m * v * ln(2 / delta')) + 2 / (3 m) * ln(2 / delta')

    (delta' spreads the confidence `delta` over the O(log n) splits tested). Dropping the stale part is its reset:
    it drops everything before the split that differs the most, relative to its eps_cut (the best guess of where
    the change happened), rather than the oldest values one bucket at a time until no split differs, which leaves
    old values behind that the next checks find again as one change reported several times.
    The window is an exponential histogram: at most `max_buckets` buckets summarise 1, 2, 4, ... values each, so
    memory and the splits tested grow as the log of the window. Sub-windows shorter than `min_window` are not
    tested; the window is checked every `clock` values (1: at every value, right for one value per run; 32 is the
    usual choice on long streams). The bound's second term assumes values in [0, 1] (a rate, an accuracy): on a
    wider scale it is the variance term that matters. Alert bound: `delta`.
    """

    name = "adwin"

    def __init__(self, delta: float = 0.002, max_buckets: int = 5, min_window: int = 5, clock: int = 1,
                 direction: str = "both") -> None:
        super().__init__(direction)
        self.delta = _positive("delta", delta)
        if self.delta >= 1:
            raise ValueError(f"delta must be below 1, not {delta!r}")
        self.max_buckets = _count("max_buckets", max_buckets, 2)
        self.min_window = _count("min_window", min_window, 1)
        self.clock = _count("clock", clock, 1)
        self._rows: list[list[tuple[float, float]]] = []  # row i: (total, squared deviations) of 2**i values each,
        self.width = 0                                     # oldest first; higher rows hold older values
        self._total = 0.0
        self._squares = 0.0
        self._seen = 0

    @property
    def mean(self) -> float:
        """The mean of the current window."""
        return self._total / self.width if self.width else 0.0

    @property
    def ready(self) -> bool:
        return self.width >= 2 * self.min_window

    @property
    def bound(self) -> float:
        return self.delta

    def _step(self, x: float) -> str | None:
        self._insert(x)
        self._seen += 1
        if self._seen % self.clock or not self.ready:
            return None
        change = None
        while (cut := self._cut()) is not None:
            change, older_buckets = cut
            for _ in range(older_buckets):
                self._drop_oldest()
        return self._reported(up=change == "up", down=change == "down")

    def _insert(self, x: float) -> None:
        if self.width:
            deviation = x - self.mean
            self._squares += self.width / (self.width + 1) * deviation * deviation
        self.width += 1
        self._total += x
        if not self._rows:
            self._rows.append([])
        self._rows[0].append((x, 0.0))
        self._compress()

    def _compress(self) -> None:
        """Merge the two oldest buckets of each row that overflows into one of the next row."""
        row = 0
        while row < len(self._rows) and len(self._rows[row]) > self.max_buckets:
            (total_a, squares_a), (total_b, squares_b) = self._rows[row].pop(0), self._rows[row].pop(0)
            size = 2 ** row
            gap = (total_a - total_b) / size
            merged = (total_a + total_b, squares_a + squares_b + size / 2 * gap * gap)
            if row + 1 == len(self._rows):
                self._rows.append([])
            self._rows[row + 1].append(merged)
            row += 1

    def _cut(self) -> tuple[str, int] | None:
        """The split whose sub-windows differ the most beyond eps_cut (relative to it), as the direction of the
        change and the number of buckets before it; None if no split differs beyond eps_cut."""
        best, best_ratio = None, 1.0
        older, older_total, buckets = 0, 0.0, 0
        for row in range(len(self._rows) - 1, -1, -1):
            for total, _ in self._rows[row]:
                older += 2 ** row
                older_total += total
                buckets += 1
                newer = self.width - older
                if newer < self.min_window:
                    return best
                if older < self.min_window:
                    continue
                gap = (self._total - older_total) / newer - older_total / older
                change = "up" if gap > 0 else "down"
                ratio = abs(gap) / self._eps_cut(older, newer)
                if ratio > best_ratio:
                    best, best_ratio = (change, buckets), ratio
        return best

    def _eps_cut(self, older: int, newer: int) -> float:
        m = 1.0 / (1.0 / older + 1.0 / newer)
        log_term = math.log(2.0 * math.log(self.width) / self.delta)
        return math.sqrt(2.0 / m * (self._squares / self.width) * log_term) + 2.0 / (3.0 * m) * log_term

    def _drop_oldest(self) -> None:
        """Forget the oldest bucket, keeping the window's total and squared deviations exact."""
        row = len(self._rows) - 1
        total, squares = self._rows[row].pop(0)
        if not self._rows[row]:
            self._rows.pop()
        size = 2 ** row
        rest = self.width - size
        gap = total / size - (self._total - total) / rest
        self._squares = max(0.0, self._squares - squares - size * rest / self.width * gap * gap)
        self.width = rest
        self._total -= total


class Ddm(Detector):
    """Drift detection method (Gama, Medas, Castillo and Rodrigues, 2004) over an error stream: with p the error
    rate since the last reset and s = sqrt(p (1 - p) / n), it remembers where p + s was lowest (p_min, s_min) and
    signals a warning (`warning` is True) past p_min + `warning_level` s_min and a drift past p_min + `drift_level`
    s_min, after which it starts over (as the model it watches should). No test before `min_samples` values.

    Values are errors, 0 or 1 per prediction; a per-run error rate in [0, 1] works too, treated as that fraction of
    one prediction wrong (s then overstates the noise, so it alarms later, never sooner). It only looks for the error
    rate going up; a stream without a single error over its first `min_samples` values has s_min = 0 and so alarms
    at its first error, as the method prescribes. Alert bound: `drift_level`.
    """

    name = "ddm"
    accepted = "error indicators or rates in [0, 1]"

    def __init__(self, warning_level: float = 2.0, drift_level: float = 3.0, min_samples: int = 30) -> None:
        super().__init__("up")
        self.warning_level = _positive("warning_level", warning_level)
        self.drift_level = _positive("drift_level", drift_level)
        if self.drift_level <= self.warning_level:
            raise ValueError(f"drift_level ({drift_level!r}) must be above warning_level ({warning_level!r})")
        self.min_samples = _count("min_samples", min_samples, 1)
        self._reset()

    def _reset(self) -> None:
        self._n = 0
        self._errors = 0.0
        self._p_min = self._s_min = math.inf
        self.warning = False

    def accepts(self, x: float) -> bool:
        return 0.0 <= x <= 1.0

    @property
    def ready(self) -> bool:
        return self._n >= self.min_samples

    @property
    def bound(self) -> float:
        return self.drift_level

    def _step(self, x: float) -> str | None:
        self._n += 1
        self._errors += x
        p = self._errors / self._n
        s = math.sqrt(p * (1.0 - p) / self._n)
        if not self.ready:
            return None
        if p + s < self._p_min + self._s_min:
            self._p_min, self._s_min = p, s
        if p + s > self._p_min + self.drift_level * self._s_min:
            self._reset()
            return "up"
        self.warning = p + s > self._p_min + self.warning_level * self._s_min
        return None


KNOWN_DETECTORS: dict[str, type[Detector]] = {cls.name: cls for cls in (PageHinkley, Cusum, Adwin, Ddm)}


@dataclass(frozen=True)
class MetricDetector:
    """A change detector watching one metric: an alert rule beside the SLAs, stored with op = the detector's name
    and bound = its threshold."""

    metric: str
    detector: Detector

    @property
    def op(self) -> str:
        return self.detector.name

    @property
    def bound(self) -> float:
        return self.detector.bound

    @property
    def direction(self) -> str | None:
        return self.detector.last_change

    def holds(self, value: float) -> bool | None:
        """Feed the value to the detector: False at a change, True when it saw none and could have, None when it
        could not (a value it cannot take, like NaN, or its warm-up)."""
        if not self.detector.accepts(float(value)):
            return None
        if self.detector.update(value):
            return False
        return True if self.detector.ready else None

    def describe(self, event: AlertEvent) -> str:
        said = "detected a change" if event.state == "violated" else "quiet again after a change"
        return f"{event.metric} = {event.value:.4g}, {self.op} {said} {event.direction}"

    def __str__(self) -> str:
        return f"{self.metric} {self.op}"


def parse_detectors(detectors: dict[str, str | Detector] | None) -> tuple[MetricDetector, ...]:
    """Detectors from `{"metric": "name" | "name(param=value, ...)" | Detector}`; a malformed one raises ValueError
    naming the metric (and the known detectors, or the detector's parameters)."""
    return tuple(MetricDetector(str(metric), _detector(str(metric), spec))
                 for metric, spec in (detectors or {}).items())


def _detector(metric: str, spec: str | Detector) -> Detector:
    if isinstance(spec, Detector):
        return spec
    name, params = _call(metric, spec)
    if name not in KNOWN_DETECTORS:
        raise ValueError(f"unknown detector {name!r} for {metric!r}; known detectors: {_known()}")
    cls = KNOWN_DETECTORS[name]
    accepted = list(inspect.signature(cls).parameters)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"detector {name} for {metric!r} has no parameter {', '.join(unknown)} "
                         f"(its parameters: {', '.join(accepted) or 'none'})")
    try:
        return cls(**params)
    except ValueError as exc:
        raise ValueError(f"detector {name} for {metric!r}: {exc}") from None


def _call(metric: str, spec: object) -> tuple[str, dict[str, object]]:
    """The name and keyword parameters of `name` or `name(key=value, ...)`; a bare word value is a string."""
    malformed = ValueError(f"detector for {metric!r} must look like 'adwin' or 'adwin(delta=0.002)' (or be a "
                           f"detector instance), not {spec!r}; known detectors: {_known()}")
    if not isinstance(spec, str):
        raise malformed
    try:
        node = ast.parse(spec.strip(), mode="eval").body
    except SyntaxError:
        raise malformed from None
    if isinstance(node, ast.Name):
        return node.id, {}
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args
            and all(keyword.arg for keyword in node.keywords)):
        raise malformed
    try:
        return node.func.id, {keyword.arg: _literal(keyword.value) for keyword in node.keywords}
    except ValueError:
        raise malformed from None


def _literal(node: ast.expr) -> object:
    return node.id if isinstance(node, ast.Name) else ast.literal_eval(node)


def _known() -> str:
    return ", ".join(sorted(KNOWN_DETECTORS))


def _finite(name: str, value: object) -> float:
    number = _number(name, value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def _positive(name: str, value: object) -> float:
    number = _finite(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be above 0, not {value!r}")
    return number


def _at_least(name: str, value: object, low: float) -> float:
    number = _finite(name, value)
    if number < low:
        raise ValueError(f"{name} must be at least {low:g}, not {value!r}")
    return number


def _count(name: str, value: object, low: int) -> int:
    whole = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or value < low:
        raise ValueError(f"{name} must be a whole number of at least {low}, not {value!r}")
    return int(value)


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, not {value!r}")
    return float(value)
