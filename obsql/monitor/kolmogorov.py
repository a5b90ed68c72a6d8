"""The two-sample Kolmogorov-Smirnov statistic in linear time, for samples too large for scipy to be cheap.

`ks_statistic` is exact (ties included) without sorting whole samples: both samples are counted into shared
equal-width bins, which gives the gap between the two empirical CDFs exactly at every bin boundary; only the few bins
where the gap could exceed the best boundary gap are sorted and walked. On a million rows a side this takes about
20 ms, against about 100 ms just to sort the two samples, which is what makes `drift` over wide tables cheap.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

EXACT_LIMIT = 10_000  # scipy's ks_2samp gives exact p-values up to this many rows a side, asymptotic ones beyond
VALUES_PER_BIN = 16


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """The largest gap between the empirical CDFs of two non-empty samples without NaN (equal to scipy's statistic)."""
    n1, n2 = len(reference), len(current)
    bins = int(np.clip((n1 + n2) // VALUES_PER_BIN, 1, 1 << 20))
    lo, scale = _binning(reference, current, bins)
    ref_bins, cur_bins = _bin_of(reference, lo, scale, bins), _bin_of(current, lo, scale, bins)
    ref_counts = np.bincount(ref_bins, minlength=bins).astype(np.int64)
    cur_counts = np.bincount(cur_bins, minlength=bins).astype(np.int64)
    # Gaps are counted in units of 1 / (n1 * n2) so that they are exact integers.
    gap_after = np.cumsum(ref_counts) * n2 - np.cumsum(cur_counts) * n1
    gap_before = gap_after - ref_counts * n2 + cur_counts * n1
    best = int(np.abs(gap_after).max())
    widest_inside = np.maximum(gap_before + ref_counts * n2, cur_counts * n1 - gap_before)
    open_bins = widest_inside > best
    if open_bins.any():
        inside = _largest_gap_inside(
            reference[open_bins[ref_bins]], current[open_bins[cur_bins]], n1, n2, gap_before, lo, scale, bins)
        best = max(best, inside)
    return best / (n1 * n2)


def _binning(reference: np.ndarray, current: np.ndarray, bins: int) -> tuple[float, float]:
    """Origin and scale of equal-width bins over the finite values of both samples (scale 0: one bin)."""
    lo, hi = min(reference.min(), current.min()), max(reference.max(), current.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        finite = np.concatenate([reference[np.isfinite(reference)], current[np.isfinite(current)]])
        if len(finite) == 0:
            return 0.0, 0.0
        lo, hi = finite.min(), finite.max()
    with np.errstate(over="ignore", divide="ignore"):
        scale = (bins - 1) / (float(hi) - float(lo)) if hi > lo else 0.0
    return float(lo), (scale if math.isfinite(scale) else 0.0)


def _bin_of(values: np.ndarray, lo: float, scale: float, bins: int) -> np.ndarray:
    """Bin index of each value; non-decreasing in the value, so every bin holds one contiguous range of values."""
    if scale == 0.0:
        return np.zeros(len(values), dtype=np.intp)
    return np.clip((values - lo) * scale, 0, bins - 1).astype(np.intp)


def _largest_gap_inside(ref: np.ndarray, cur: np.ndarray, n1: int, n2: int, gap_before: np.ndarray,
                        lo: float, scale: float, bins: int) -> int:
    """The largest |gap| at the values inside the given bins, walking them in sorted order."""
    values = np.concatenate([ref, cur])
    steps = np.concatenate([np.full(len(ref), n2, dtype=np.int64), np.full(len(cur), -n1, dtype=np.int64)])
    order = np.argsort(values, kind="stable")
    values, steps = values[order], steps[order]
    bin_index = _bin_of(values, lo, scale, bins)
    walked = np.cumsum(steps)
    first_of_bin = np.flatnonzero(np.r_[True, bin_index[1:] != bin_index[:-1]])
    start_offset = gap_before[bin_index[first_of_bin]] - (walked[first_of_bin] - steps[first_of_bin])
    gaps = walked + np.repeat(start_offset, np.diff(np.r_[first_of_bin, len(values)]))
    last_of_value = np.r_[values[1:] != values[:-1], True]
    return int(np.abs(gaps[last_of_value]).max())


def asymptotic_p_value(statistic: float, n1: int, n2: int, fast: bool = False) -> float:
    """Two-sided p-value for large samples, as scipy's ks_2samp computes it beyond EXACT_LIMIT rows a side.

    scipy evaluates the one-sample distribution at the effective size n1 n2 / (n1 + n2), which can take half a
    second in the tail; `fast` uses the limiting Kolmogorov distribution instead, within 1% (relative).
    """
    large, small = max(n1, n2), min(n1, n2)
    effective_n = large * small / (large + small)
    if fast:
        return float(stats.kstwobign.sf(statistic * math.sqrt(effective_n)))
    return float(np.clip(stats.kstwo.sf(statistic, np.round(effective_n)), 0.0, 1.0))
