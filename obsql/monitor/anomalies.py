"""Is a run's value unusual for its component? Robust z-scores against baselines drawn from the component's own
history, used by `diagnose` (engine/diagnose.py) on every logged column, metric and read of a dependency.

A value is judged against the baseline it looks least unusual against: the component's last HISTORY_RUNS runs,
and its seasonal peers (earlier runs at the same hour, and at the same weekday and hour), so that daily and weekly
cycles are not anomalies. A steady trend is not one either: the median absolute deviation of a trending history
grows with the trend (the next value of a straight line sits about 1.4 robust deviations from the last 30). A
change must also be large enough to matter (an effect-size floor per test), and one the component
already showed in its history counts less the more often it did: shown by k earlier runs (each at least half as
unusual, the same way), it scores 1 / (k + 1) of its z. A feed where one station in twelve drops out every week or
two is not a suspect the day it happens again.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from datetime import datetime
from statistics import median, pstdev
from typing import Callable, NamedTuple

HISTORY_RUNS = 30
MIN_HISTORY = 5  # fewer earlier runs say nothing about what a component usually does
MIN_PEERS = 3  # seasonal peers needed before they count as a baseline
Z_MIN = 4.0
Z_CAP = 100.0
ROBUST = 1.4826  # MAD to standard deviation, for normal data
IQR_SD = 1.349  # interquartile range to standard deviation, for normal data
COUNT_RATIO = 2.0  # a count must at least halve or double to be a suspect


class Verdict(NamedTuple):
    """How a value compares with a baseline: in words, as a robust z, whether the move is large enough to matter,
    and its direction (the signed move, in the test's own units)."""

    evidence: str
    z: float
    large: bool
    shift: float


class Series:
    """One history (a component's logged column, metric, or reads of another component), in start order, and
    the baselines a run is judged against: the component's last HISTORY_RUNS runs before the run's cutoff, and,
    so that a weekly or daily cycle is not an anomaly, its seasonal peers (earlier runs at the same hour of the day,
    and at the same hour of the same weekday)."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.times = [row["start_time"] for row in rows]
        self.peers: dict[tuple, list[int]] = defaultdict(list)
        for index, start in enumerate(self.times):
            self.peers[("hour", start.hour)].append(index)
            self.peers[("weekday", start.weekday(), start.hour)].append(index)

    def earlier(self, cutoff: datetime) -> list[dict]:
        return self.rows[:bisect_left(self.times, cutoff)]

    def baselines(self, start: datetime, cutoff: datetime) -> list[list[dict]]:
        """The runs to compare a run that began at `start` with; none when the history is too short."""
        end = bisect_left(self.times, cutoff)
        if end < MIN_HISTORY:
            return []
        chosen = [self.rows[max(0, end - HISTORY_RUNS):end]]
        for key in (("hour", start.hour), ("weekday", start.weekday(), start.hour)):
            indices = self.peers[key]
            earlier = indices[:bisect_left(indices, end)][-HISTORY_RUNS:]
            if len(earlier) >= MIN_PEERS:
                chosen.append([self.rows[i] for i in earlier])
        return chosen


def series_by(rows: list[dict], key: Callable[[dict], tuple]) -> dict[tuple, Series]:
    """Rows grouped by `key` into series."""
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["start_time"], r["run_id"])):
        grouped[key(row)].append(row)
    return {name: Series(group) for name, group in grouped.items()}


Test = Callable[[dict, list[dict]], "Verdict | None"]


def least_unusual(row: dict, baselines: list[list[dict]], test: Test) -> Verdict | None:
    """The verdict against the baseline the value looks least unusual against, if it is alarming against all."""
    verdicts = [verdict for verdict in (test(row, past) for past in baselines) if verdict is not None]
    if len(verdicts) < len(baselines) or not verdicts:
        return None
    least = min(verdicts, key=lambda verdict: verdict.z)
    return least if _alarming(least) else None


def judged(row: dict, series: Series, cutoff: datetime, test: Test) -> tuple[str, float] | None:
    """A change of a run of the series, as (evidence, score), or None."""
    baselines = series.baselines(row["start_time"], cutoff)
    least = least_unusual(row, baselines, test)
    if least is None:
        return None
    evidence, score = least.evidence, min(Z_CAP, least.z)
    seen = _seen_before(least, series.earlier(cutoff), baselines[0], test)
    if seen:
        times = "once" if len(seen) == 1 else f"{len(seen)} times"
        evidence += f"; about as unusual {times} before, last on {seen[-1]:%Y-%m-%d}"
        score /= 1 + len(seen)
    return evidence, score


def _alarming(verdict: Verdict) -> bool:
    return verdict.large and verdict.z >= Z_MIN


def _seen_before(verdict: Verdict, history: list[dict], past: list[dict], test: Test) -> list[datetime]:
    """When earlier runs moved the same way, at least half as unusually, against the same baseline (oldest first)."""
    seen = []
    for row in history:
        earlier = test(row, past)
        if earlier is not None and earlier.z >= verdict.z / 2 and earlier.shift * verdict.shift > 0:
            seen.append(row["start_time"])
    return seen


def robust_z(value: float, past: list[float], floor: float) -> tuple[float, float]:
    """How unusual `value` is among `past`: (|value - median| / max(robust sd, floor), median)."""
    middle = median(past)
    spread = max(ROBUST * median([abs(p - middle) for p in past]), floor, 1e-12)
    return abs(value - middle) / spread, middle


# -- the tests: each judges a run's row against one baseline ------------------------------------------------------


def _values(past: list[dict], field: str) -> list[float]:
    return [p[field] for p in past if p[field] is not None]


def _null_change(row: dict, past: list[dict]) -> Verdict | None:
    """The share of missing values against its usual share. Its spread is at least the binomial one of the run's
    rows and at least the baseline's own standard deviation before the episode this run may be part of: rows go
    missing together (a weather station's 25 rows at once), so a history of such excursions is as variable as it
    looks, not as the median and its rows say; but the days of a spike still going on are not its usual spread."""
    values, n = _values(past, "null_frac"), max(row["n"] or 0, 1)
    if row["null_frac"] is None or not values:
        return None
    usual = median(values)
    binomial = math.sqrt(max(usual, 0.5 / n) * (1 - min(usual, 0.5)) / n)
    spread = pstdev(_before_the_episode(values, row["null_frac"]))
    z, usual = robust_z(row["null_frac"], values, max(binomial, spread))
    effect = 2 * math.asin(math.sqrt(row["null_frac"])) - 2 * math.asin(math.sqrt(usual))
    return Verdict(f"{row['null_frac']:.1%} missing, usually {usual:.1%}", z, abs(effect) >= 0.2, effect)


def _before_the_episode(values: list[float], value: float) -> list[float]:
    """A baseline (oldest first) without its latest values that moved at least half as far as `value` does, the
    same way: the runs just before it of a change still going on."""
    middle = median(values)
    move, end = value - middle, len(values)
    while end > 1 and (values[end - 1] - middle) * move > 0 and abs(values[end - 1] - middle) >= abs(move) / 2:
        end -= 1
    return values[:end]


def _mean_change(row: dict, past: list[dict]) -> Verdict | None:
    """The mean moved, and so did the midmean where the column has one (a few extreme values move the mean
    alone)."""
    values, spreads = _values(past, "mean"), _values(past, "std")
    if row["mean"] is None or not values or not spreads or not median(spreads) > 0:
        return None
    sd, n = median(spreads), max(row["n"] or 0, 1)
    z, usual = robust_z(row["mean"], values, sd / math.sqrt(n))
    verdict = Verdict(f"mean {row['mean']:.4g}, usually {usual:.4g} (sd {sd:.3g})", z,
                      abs(row["mean"] - usual) >= 0.2 * sd, row["mean"] - usual)
    middle, quartiles = _values(past, "midmean"), _values(past, "iqr")
    if row["midmean"] is None or not middle or not quartiles or not median(quartiles) > 0:
        return verdict
    sd_middle = median(quartiles) / IQR_SD
    z_middle, usual_middle = robust_z(row["midmean"], middle, sd_middle / math.sqrt(n))
    large = verdict.large and abs(row["midmean"] - usual_middle) >= 0.2 * sd_middle
    return verdict._replace(z=min(z, z_middle), large=large)


def _log_spread(value: float | None, usual: float) -> float | None:
    """log of a spread, a spread of zero (a column gone constant) as a thousandth of the usual one."""
    return None if value is None else math.log(max(value, 1e-3 * usual))


def _spread_move(row: dict, past: list[dict], field: str, n: int) -> tuple[float, float, float] | None:
    """(z, usual spread, signed move in log units) of a spread field, or None without a positive usual spread."""
    values = _values(past, field)
    usual = median(values) if values else 0.0
    if row[field] is None or not usual > 0:
        return None
    logs = [_log_spread(v, usual) for v in values]
    z, middle = robust_z(_log_spread(row[field], usual), logs, 1 / math.sqrt(2 * n))
    return z, math.exp(middle), _log_spread(row[field], usual) - middle


def _spread_change(row: dict, past: list[dict]) -> Verdict | None:
    """The spread moved, and so did the interquartile range where the column has one."""
    n = max(row["n"] or 0, 1)
    moved = _spread_move(row, past, "std", n)
    if moved is None:
        return None
    z, usual, shift = moved
    verdict = Verdict(f"sd {row['std']:.3g}, usually {usual:.3g}", z, abs(shift) >= 0.2, shift)
    middle = _spread_move(row, past, "iqr", n)
    if middle is None:
        return verdict
    return verdict._replace(z=min(z, middle[0]), large=verdict.large and abs(middle[2]) >= 0.2)


def _distinct_change(row: dict, past: list[dict]) -> Verdict | None:
    values = _values(past, "distinct_share")
    if row["distinct_share"] is None or not values:
        return None
    z, usual = robust_z(row["distinct_share"], values, math.sqrt(0.25 / max(row["n"] or 0, 1)))
    evidence = f"{row['distinct_share']:.0%} of values distinct, usually {usual:.0%}"
    shift = row["distinct_share"] - usual
    return Verdict(evidence, z, abs(shift) >= 0.2, shift)


COLUMN_TESTS: tuple[Test, ...] = (_null_change, _mean_change, _spread_change, _distinct_change)


def metric_change(row: dict, past: list[dict]) -> Verdict | None:
    values = _values(past, "value")
    z, usual = robust_z(row["value"], values, 0.01 * abs(median(values)))
    shift = row["value"] - usual
    if all(float(v).is_integer() and v >= 0 for v in [*values, row["value"]]):  # a count
        large = max(row["value"], usual) >= COUNT_RATIO * max(min(row["value"], usual), 1)
    else:
        large = abs(shift) >= 0.05 * abs(usual)
    return Verdict(f"{row['name']} = {row['value']:.4g}, usually {usual:.4g}", z, large, shift)


def age_change(read: dict, past: list[dict]) -> Verdict:
    ages = _values(past, "age")
    z, usual = robust_z(read["age"], ages, 1 / 24)
    evidence = (f"{read['reader']} read {read['pointer']} {_days(read['age'])} after it was written, usually "
                f"{_days(usual)}")
    return Verdict(evidence, z, read["age"] >= 2 * max(usual, 1 / 24), read["age"] - usual)


def _days(days: float) -> str:
    return f"{days:.0f} days" if days >= 2 else f"{days * 24:.0f} hours"
