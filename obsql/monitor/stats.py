"""Two-sample drift statistics, each with a decision that stays meaningful on large samples.

Every function takes a reference and a current sample (any 1-D array-like; nulls and NaN are dropped and counted)
and returns a `DriftResult`. Values agree with scipy on the same inputs: `ks` with scipy.stats.ks_2samp (which it
calls up to 10,000 rows a side and matches with a linear-time statistic beyond), `chi2` with
scipy.stats.chi2_contingency (Yates' correction on 2x2 tables, as scipy's default), `wasserstein` with
scipy.stats.wasserstein_distance, `jensen_shannon` with scipy.spatial.distance.jensenshannon(base=2) and `kl` with
scipy.stats.entropy (natural log) on the same frequencies.

How `drifted` is decided: with a p-value and at most LARGE_SAMPLE rows on the smaller side, p < alpha. Otherwise
(p-values on large samples go to zero without practical significance, and some statistics have none) the effect size
must exceed a threshold: KS statistic > 0.1, Cramer's V > 0.1, PSI > 0.2, Jensen-Shannon distance > 0.1, Wasserstein
distance over the reference standard deviation > 0.1, KL divergence > 0.1. `null_share` (a change in the share of
missing values) needs both: p < alpha and Cohen's h > 0.2.

Rows logged in batches are weighed by `effects`, each side's design effect (see `obsql.monitor.clustering`): its
rows over it are the side's effective size, at which the p-value is computed; on large samples a batched column
needs both, p < alpha (more than its batches vary by chance) and the effect size over its threshold.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from obsql.monitor.clustering import NO_EFFECT, combined, effective_sizes
from obsql.monitor.inputs import as_numbers, as_series, kind_of, present
from obsql.monitor.kolmogorov import EXACT_LIMIT, asymptotic_p_value, ks_statistic

ALPHA = 0.05
LARGE_SAMPLE = 1000
PSI_FLOOR = 1e-4  # share given to an empty bin, so that PSI stays finite
NULL_SHARE_FLOOR = 0.2  # Cohen's h of a change in the share of missing values that counts as drift


@dataclass(frozen=True)
class DriftResult:
    """One drift measurement between a reference and a current sample, and the decision taken on it."""

    method: str
    statistic: float
    p_value: float | None
    effect_size: float
    threshold: float
    drifted: bool
    decided_by: str  # "p_value" or "effect_size"
    n_reference: int
    n_current: int
    nulls_reference: int = 0
    nulls_current: int = 0
    approximate: bool = False  # True when computed from summaries rather than rows
    design_effect: float = 1.0  # how many sampled rows count as one independent row (batches, see `clustering`)


@dataclass(frozen=True)
class _Pair:
    """Two samples with missing values removed, and how many each lost."""

    reference: pl.Series
    current: pl.Series
    nulls_reference: int
    nulls_current: int


def decide(method: str, statistic: float, p_value: float | None, effect_size: float, pair_sizes: tuple[int, int],
           nulls: tuple[int, int] = (0, 0), *, alpha: float = ALPHA, threshold: float,
           approximate: bool = False, effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """Judge one measurement: p-value below alpha on small samples, effect size above threshold otherwise. Rows
    logged in batches (`effects`) need both on large samples: their p-value, at the effective sizes, says whether
    the change is more than batch-to-batch variation, the effect size whether it matters."""
    batched_noise = p_value is not None and effects != NO_EFFECT and p_value >= alpha
    if p_value is not None and (min(pair_sizes) <= LARGE_SAMPLE or batched_noise):
        drifted, bound, decided_by = p_value < alpha, alpha, "p_value"
    else:
        drifted, bound, decided_by = effect_size > threshold, threshold, "effect_size"
    return DriftResult(method, float(statistic), None if p_value is None else float(p_value), float(effect_size),
                       bound, bool(drifted), decided_by, *pair_sizes, *nulls, approximate,
                       combined(effects, pair_sizes))


def ks(reference: Any, current: Any, *, alpha: float = ALPHA, threshold: float = 0.1,
       fast: bool = False, effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """Two-sample Kolmogorov-Smirnov test; the statistic is also the effect size.

    Up to EXACT_LIMIT rows a side this is scipy's ks_2samp (exact p-values, cheap at that size); beyond, the
    linear-time statistic of `kolmogorov` with scipy's asymptotic p-value. `fast` trades that p-value's exact tail
    for speed (see `kolmogorov.asymptotic_p_value`); decisions are unaffected, since samples that large are judged
    on the statistic.
    """
    pair = _pair(reference, current)
    ref, cur = _numbers(pair.reference), _numbers(pair.current)
    if max(len(ref), len(cur)) <= EXACT_LIMIT and effects == NO_EFFECT:
        result = stats.ks_2samp(ref, cur)
        return decide("ks", result.statistic, result.pvalue, result.statistic, (len(ref), len(cur)), _nulls(pair),
                      alpha=alpha, threshold=threshold)
    return ks_of_statistic(ks_statistic(ref, cur), (len(ref), len(cur)), _nulls(pair), alpha=alpha,
                           threshold=threshold, fast=fast, effects=effects)


def ks_of_statistic(statistic: float, sizes: tuple[int, int], nulls: tuple[int, int] = (0, 0), *,
                    alpha: float = ALPHA, threshold: float = 0.1, fast: bool = False,
                    effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """`ks` from its statistic (asymptotic p-value, at the effective sizes), for samples larger than EXACT_LIMIT
    on a side or batched, and for an engine that computed the statistic itself."""
    effective = effective_sizes(sizes, effects)
    p_value = asymptotic_p_value(statistic, *effective, fast=fast and min(effective) > EXACT_LIMIT)
    return decide("ks", statistic, p_value, statistic, sizes, nulls, alpha=alpha, threshold=threshold,
                  effects=effects)


def chi2(reference: Any, current: Any, *, alpha: float = ALPHA, threshold: float = 0.1,
         effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """Chi-squared test of homogeneity on the 2 x k table of category counts; Cramer's V is the effect size."""
    pair = _pair(reference, current)
    return chi2_of_counts(*_category_counts(pair.reference, pair.current), _nulls(pair), alpha=alpha,
                          threshold=threshold, effects=effects)


def chi2_of_counts(reference_counts: np.ndarray, current_counts: np.ndarray, nulls: tuple[int, int] = (0, 0), *,
                   alpha: float = ALPHA, threshold: float = 0.1,
                   effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """`chi2` from each category's count on either side (aligned), for an engine that counted them itself. With
    batched rows the statistic is Pearson's over the combined design effect (Rao-Scott), Cramer's V Pearson's."""
    table = np.vstack([reference_counts, current_counts]).astype(np.float64)
    statistic, p_value = chi2_of_table(table)
    cramers_v = float(np.sqrt(statistic / table.sum())) if table.shape[1] > 1 else 0.0
    sizes = (int(table[0].sum()), int(table[1].sum()))
    if effects != NO_EFFECT:
        statistic /= combined(effects, sizes)
        p_value = float(stats.chi2.sf(statistic, table.shape[1] - 1)) if table.shape[1] > 1 else 1.0
    return decide("chi2", statistic, p_value, cramers_v, sizes, nulls, alpha=alpha, threshold=threshold,
                  effects=effects)


def chi2_of_table(table: np.ndarray) -> tuple[float, float]:
    """Pearson's statistic and p-value of a contingency table, with Yates' correction when it has one degree of
    freedom (scipy's default)."""
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    if dof == 0:
        return 0.0, 1.0
    difference = np.abs(table - expected)
    if dof == 1:
        difference = difference - np.minimum(0.5, difference)
    statistic = float((difference**2 / expected).sum())
    return statistic, float(stats.chi2.sf(statistic, dof))


def null_share(reference: Any, current: Any, *, alpha: float = ALPHA, threshold: float = NULL_SHARE_FLOOR,
               effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """Whether the share of missing values changed: a two-proportion z-test (the same p-value as chi-squared on the
    2 x 2 table without Yates' correction), with Cohen's h as the effect size. Drifted when p < alpha *and* h
    exceeds its floor (0.2, a small effect): on large samples any wobble is significant, and 1% -> 2% null is not
    drift while 0% -> 5% or 2% -> 60% is."""
    ref, cur = as_series(reference), as_series(current)
    ref_nulls, cur_nulls = len(ref) - len(present(ref)[0]), len(cur) - len(present(cur)[0])
    return null_share_of_counts(len(ref), len(cur), ref_nulls, cur_nulls, alpha=alpha, threshold=threshold,
                                effects=effects)


def null_share_of_counts(n_ref: int, n_cur: int, ref_nulls: int, cur_nulls: int, *, alpha: float = ALPHA,
                         threshold: float = NULL_SHARE_FLOOR,
                         effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """`null_share` from each side's count of values and of missing ones among them (each side's variance times
    its design effect when rows come in batches that miss values together)."""
    if n_ref == 0 or n_cur == 0:
        raise ValueError("both samples need at least one value, missing or not")
    p_ref, p_cur = ref_nulls / n_ref, cur_nulls / n_cur
    pooled = (ref_nulls + cur_nulls) / (n_ref + n_cur)
    spread = np.sqrt(pooled * (1 - pooled) * (effects[0] / n_ref + effects[1] / n_cur))
    p_value = 1.0 if spread == 0 else float(2 * stats.norm.sf(abs(p_cur - p_ref) / spread))
    h = float(abs(2 * np.arcsin(np.sqrt(p_cur)) - 2 * np.arcsin(np.sqrt(p_ref))))
    drifted = p_value < alpha and h > threshold
    return DriftResult("null_share", p_cur - p_ref, p_value, h, threshold, drifted,
                       "effect_size" if p_value < alpha else "p_value", n_ref, n_cur, ref_nulls, cur_nulls,
                       design_effect=combined(effects, (n_ref, n_cur)))


def psi(reference: Any, current: Any, bins: int = 10, *, threshold: float = 0.2) -> DriftResult:
    """Population stability index over reference-quantile bins (numbers) or categories; empty bins count as 1e-4."""
    pair = _pair(reference, current)
    ref_counts, cur_counts = _shared_bins(pair, bins)
    value = population_stability(ref_counts, cur_counts)
    return decide("psi", value, None, value, (len(pair.reference), len(pair.current)), _nulls(pair),
                  threshold=threshold)


def population_stability(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """PSI = sum (c - r) ln(c / r) over bin shares, with empty bins raised to PSI_FLOOR."""
    r = np.maximum(reference_counts / reference_counts.sum(), PSI_FLOOR)
    c = np.maximum(current_counts / current_counts.sum(), PSI_FLOOR)
    return float(((c - r) * np.log(c / r)).sum())


def jensen_shannon(reference: Any, current: Any, bins: int = 10, *, threshold: float = 0.1,
                   effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """Jensen-Shannon distance (base 2, so within [0, 1]) between category frequencies, or between numbers after
    binning both on reference quantiles."""
    pair = _pair(reference, current)
    return jensen_shannon_of_counts(*_shared_bins(pair, bins), _nulls(pair), threshold=threshold, effects=effects)


def jensen_shannon_of_counts(reference_counts: np.ndarray, current_counts: np.ndarray,
                             nulls: tuple[int, int] = (0, 0), *, threshold: float = 0.1,
                             effects: tuple[float, float] = NO_EFFECT) -> DriftResult:
    """`jensen_shannon` from each bin's or category's count on either side (aligned)."""
    value = js_distance(reference_counts, current_counts)
    sizes = (int(np.sum(reference_counts)), int(np.sum(current_counts)))
    return decide("jensen_shannon", value, None, value, sizes, nulls, threshold=threshold, effects=effects)


def js_distance(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """The square root of the Jensen-Shannon divergence of two count vectors, in bits."""
    p = reference_counts / reference_counts.sum()
    q = current_counts / current_counts.sum()
    middle = (p + q) / 2
    divergence = (_relative_entropy(p, middle) + _relative_entropy(q, middle)) / 2 / np.log(2)
    return float(np.sqrt(max(divergence, 0.0)))


def kl(reference: Any, current: Any, bins: int = 10, *, threshold: float = 0.1) -> DriftResult:
    """KL divergence of the reference from the current frequencies, KL(reference || current), in nats.

    Infinite when the current sample has no rows in a bin or category the reference has; bins as in `psi`.
    """
    pair = _pair(reference, current)
    ref_counts, cur_counts = _shared_bins(pair, bins)
    value = _relative_entropy(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum())
    return decide("kl", value, None, value, (len(pair.reference), len(pair.current)), _nulls(pair),
                  threshold=threshold)


def wasserstein(reference: Any, current: Any, *, threshold: float = 0.1) -> DriftResult:
    """First Wasserstein (earth mover's) distance; its effect size is the distance over the reference's standard
    deviation (the pooled one when the reference is constant), so the threshold is in standard deviations."""
    pair = _pair(reference, current)
    ref, cur = _numbers(pair.reference), _numbers(pair.current)
    distance = earth_movers(ref, cur)
    scale = ref.std() or np.concatenate([ref, cur]).std()
    effect = distance / scale if scale > 0 else 0.0
    return decide("wasserstein", distance, None, effect, (len(ref), len(cur)), _nulls(pair), threshold=threshold)


def earth_movers(reference: np.ndarray, current: np.ndarray) -> float:
    """The area between the two empirical CDFs."""
    ref, cur = np.sort(reference), np.sort(current)
    points = np.sort(np.concatenate([ref, cur]))
    widths = np.diff(points)
    ref_cdf = np.searchsorted(ref, points[:-1], side="right") / len(ref)
    cur_cdf = np.searchsorted(cur, points[:-1], side="right") / len(cur)
    return float(np.sum(np.abs(ref_cdf - cur_cdf) * widths))


def _relative_entropy(p: np.ndarray, q: np.ndarray) -> float:
    """sum p ln(p / q), with 0 ln 0 = 0 and p > 0 against q = 0 infinite."""
    mask = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def _pair(reference: Any, current: Any) -> _Pair:
    ref, ref_nulls = present(as_series(reference, "reference"))
    cur, cur_nulls = present(as_series(current, "current"))
    if len(ref) == 0 or len(cur) == 0:
        side = "reference" if len(ref) == 0 else "current"
        raise ValueError(f"the {side} sample has no non-null values")
    return _Pair(ref, cur, ref_nulls, cur_nulls)


def _nulls(pair: _Pair) -> tuple[int, int]:
    return pair.nulls_reference, pair.nulls_current


def _is_numeric(series: pl.Series) -> bool:
    return kind_of(series.dtype) in ("numeric", "temporal")


def _numbers(series: pl.Series) -> np.ndarray:
    if not (_is_numeric(series) or series.dtype == pl.Boolean):
        raise ValueError(f"expected numbers, got {series.dtype}")
    return as_numbers(series)


def _category_counts(reference: pl.Series, current: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each category seen in either sample, aligned."""
    if reference.dtype != current.dtype:
        reference, current = reference.cast(pl.String), current.cast(pl.String)
    ref = reference.rename("value").value_counts(name="reference")
    cur = current.rename("value").value_counts(name="current")
    table = ref.join(cur, on="value", how="full", coalesce=True).fill_null(0)
    return table["reference"].to_numpy(), table["current"].to_numpy()


def _shared_bins(pair: _Pair, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts over shared bins: reference-quantile bins [edge_k, edge_k+1) for numbers, categories otherwise."""
    if not (_is_numeric(pair.reference) and _is_numeric(pair.current)):
        return _category_counts(pair.reference, pair.current)
    ref, cur = as_numbers(pair.reference), as_numbers(pair.current)
    edges = quantile_edges(ref, bins)
    return (np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1),
            np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1))


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """The distinct inner edges that cut `values` into `bins` equally populated bins (fewer when values repeat)."""
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
