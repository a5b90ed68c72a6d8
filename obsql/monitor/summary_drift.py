"""Drift between two stored column summaries (see `obsql.monitor.summaries`), when the rows are gone.

Numbers are compared through their 21 quantiles, categories through their top values. The approximation errors are
stated on `drift_from_summaries`; results carry `approximate=True`.
"""
from __future__ import annotations

import numpy as np

from obsql.monitor.kolmogorov import asymptotic_p_value
from obsql.monitor.stats import LARGE_SAMPLE, DriftResult, chi2_of_table, decide, js_distance, population_stability
from obsql.monitor.summaries import QUANTILE_LEVELS

LEVELS = np.asarray(QUANTILE_LEVELS)
NUMERIC_METHODS = ("ks", "psi", "wasserstein")
CATEGORICAL_METHODS = ("chi2", "jensen_shannon", "psi")
THRESHOLDS = {"ks": 0.1, "psi": 0.2, "wasserstein": 0.1, "chi2": 0.1, "jensen_shannon": 0.1}


def drift_from_summaries(reference: dict, current: dict, method: str | None = None) -> DriftResult:
    """Drift of one column from two `summarize` dicts; `method` defaults as in `drift` (KS for numbers; chi2 up to
    LARGE_SAMPLE rows, Jensen-Shannon beyond, for the rest).

    Numbers: each CDF is known at its 21 quantiles and taken as linear in between. The true CDF can sit anywhere
    within the 0.05 step between two quantiles, so the KS statistic is off by at most 0.1 + 1/n_ref + 1/n_cur
    (0.05 per side, plus the 1/n by which interpolated quantiles sit between order statistics); for smooth
    continuous data the error is far smaller (under 0.01 at n = 10,000 in the tests). PSI uses the
    reference deciles as bins, with current shares read off the interpolated CDF (exact for the reference, same
    interpolation error for the current); Wasserstein integrates the distance between the two piecewise-linear
    quantile functions, exact for distributions uniform between quantiles, and misses what lies in the tails
    beyond the 5% steps. The KS p-value is the asymptotic one for the approximate statistic and the true row
    counts, whatever their size.

    Categories: counts come from the top values; a value missing from one side's top list counts 0 when that list
    is complete (distinct <= top_k) and otherwise an even share of the side's remaining rows over its unlisted
    values; everything else is one 'other' cell. Exact when both lists are complete.
    """
    numeric = reference.get("quantiles") is not None and current.get("quantiles") is not None
    method = method or _default_method(reference, current, numeric)
    allowed = NUMERIC_METHODS if numeric else CATEGORICAL_METHODS
    if method not in allowed:
        raise ValueError(f"method {method!r} does not apply here; choose one of {', '.join(allowed)}")
    sizes = (int(reference["count"]), int(current["count"]))
    nulls = (int(reference.get("nulls") or 0), int(current.get("nulls") or 0))
    statistic, p_value, effect = (_numeric if numeric else _categorical)(reference, current, method)
    return decide(method, statistic, p_value, effect, sizes, nulls, threshold=THRESHOLDS[method], approximate=True)


def _default_method(reference: dict, current: dict, numeric: bool) -> str:
    if numeric:
        return "ks"
    return "chi2" if min(reference["count"], current["count"]) <= LARGE_SAMPLE else "jensen_shannon"


def _numeric(reference: dict, current: dict, method: str) -> tuple[float, float | None, float]:
    ref_knots, cur_knots = np.asarray(reference["quantiles"]), np.asarray(current["quantiles"])
    if method == "ks":
        statistic = _ks_from_quantiles(ref_knots, cur_knots)
        return statistic, asymptotic_p_value(statistic, reference["count"], current["count"], fast=True), statistic
    if method == "psi":
        edges = np.unique(ref_knots[2:-2:2])  # the reference deciles 0.1 ... 0.9
        value = population_stability(_bin_shares(ref_knots, edges), _bin_shares(cur_knots, edges))
        return value, None, value
    distance = _quantile_distance(ref_knots, cur_knots)
    scale = reference.get("std") or current.get("std") or 0.0
    return distance, None, distance / scale if scale > 0 else 0.0


def _cdf(points: np.ndarray, knots: np.ndarray, side: str) -> np.ndarray:
    """The CDF through (knots, LEVELS), linear between distinct knots: its value at each point (side='right') or
    its limit from the left (side='left'), so that point masses (repeated knots) count as jumps."""
    k = np.searchsorted(knots, points, side=side) - 1  # last knot <= point (right) or < point (left)
    inner = np.clip(k, 0, len(knots) - 2)
    lo, hi = knots[inner], knots[inner + 1]
    width = np.where(hi > lo, hi - lo, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):  # points outside their segment are discarded below
        inside = LEVELS[inner] + (points - lo) / width * (LEVELS[inner + 1] - LEVELS[inner])
    return np.where(k < 0, 0.0, np.where(k >= len(knots) - 1, 1.0, inside))


def _ks_from_quantiles(ref_knots: np.ndarray, cur_knots: np.ndarray) -> float:
    """Largest gap between the two interpolated CDFs; both are linear between knots, so knots suffice."""
    points = np.union1d(ref_knots, cur_knots)
    gaps = [np.abs(_cdf(points, ref_knots, side) - _cdf(points, cur_knots, side)) for side in ("left", "right")]
    return float(max(gap.max() for gap in gaps))


def _bin_shares(knots: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of the distribution in each bin [edge_k, edge_k+1), with open outer bins."""
    below = _cdf(edges, knots, "left")
    return np.diff(np.r_[0.0, below, 1.0])


def _quantile_distance(ref_knots: np.ndarray, cur_knots: np.ndarray) -> float:
    """The integral over p of |Q_ref(p) - Q_cur(p)| for the piecewise-linear quantile functions."""
    d = ref_knots - cur_knots
    a, b = d[:-1], d[1:]
    same_sign = a * b >= 0
    total = np.abs(a) + np.abs(b)
    crossing = np.divide(a**2 + b**2, 2 * total, out=np.zeros_like(total), where=total > 0)
    segment = np.where(same_sign, total / 2, crossing)
    return float((segment * np.diff(LEVELS)).sum())


def _categorical(reference: dict, current: dict, method: str) -> tuple[float, float | None, float]:
    table = _category_table(reference, current)
    if method == "chi2":
        statistic, p_value = chi2_of_table(table)
        cramers_v = float(np.sqrt(statistic / table.sum())) if table.shape[1] > 1 else 0.0
        return statistic, p_value, cramers_v
    value = js_distance(*table) if method == "jensen_shannon" else population_stability(*table)
    return value, None, value


def _category_table(reference: dict, current: dict) -> np.ndarray:
    """A 2 x k table of estimated counts over the categories either side lists, plus 'other'."""
    ref_top, cur_top = _top_counts(reference), _top_counts(current)
    names = list(dict.fromkeys([*ref_top, *cur_top]))
    table = np.array([_estimated_counts(reference, ref_top, names), _estimated_counts(current, cur_top, names)])
    return table[:, table.sum(axis=0) > 0]


def _top_counts(summary: dict) -> dict[str, float]:
    """top_values as {value: count}, from [value, count] pairs or the store's {'value', 'count'} records."""
    pairs = summary.get("top_values") or []
    return {(p["value"] if isinstance(p, dict) else p[0]): float(p["count"] if isinstance(p, dict) else p[1])
            for p in pairs}


def _estimated_counts(summary: dict, top: dict[str, float], names: list[str]) -> list[float]:
    unlisted = summary["distinct"] - len(top)
    remainder = summary["count"] - sum(top.values())
    guess = min(remainder / unlisted, min(top.values())) if unlisted > 0 and top else 0.0
    counts = [top.get(name, guess) for name in names]
    return counts + [max(summary["count"] - sum(counts), 0.0)]
