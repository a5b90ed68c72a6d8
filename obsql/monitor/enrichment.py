"""How surprising it is that a run appears this often in the traces of a slice of outputs.

A run every output depends on anyway (a reference table, an ingest run read by several training windows) covers
the bad outputs as fully as the good ones: its coverage says nothing. What points at a cause is over-representation:
the run appears in the slice's traces more often than in the traces of the outputs around them. The test is the
hypergeometric one (as in gene-set enrichment): of N outputs, K have the run in their trace; if the n outputs of the
slice were drawn at random from the N, how likely is it that k or more of them would have it? The score is
-log10 of that probability, so it grows with both the lift (the effect) and the support (a lift of 3 on 2 outputs
is weak evidence, on 200 it is strong), and it is 0 for a run no more common in the slice than around it.
"""
from __future__ import annotations

import math

import numpy as np

MAX_SCORE = 300.0  # -log10 of the smallest probability a double holds; more extreme tails tie here


def over_representation(in_slice: np.ndarray, in_population: np.ndarray, slice_size: int,
                        population_size: int) -> np.ndarray:
    """-log10 P(X >= k) for X ~ Hypergeometric(N, K, n), per run: k `in_slice`, K `in_population`, n, N."""
    from scipy.stats import hypergeom  # loaded on first ranking, not with every statement

    pairs = np.column_stack([np.asarray(in_slice, dtype=np.int64), np.asarray(in_population, dtype=np.int64)])
    if not len(pairs):
        return np.zeros(0)
    # scipy's log tail costs ~1 ms a call, and a ranking has thousands of runs with the same few (k, K) pairs
    # (every leaf run covers one output): each distinct pair is scored once
    distinct, where = np.unique(pairs, axis=0, return_inverse=True)
    log_tail = hypergeom.logsf(distinct[:, 0] - 1, population_size, distinct[:, 1], slice_size)
    scores = -np.asarray(log_tail, dtype=np.float64) / math.log(10)
    return np.clip(np.nan_to_num(scores, nan=0.0, posinf=MAX_SCORE), 0.0, MAX_SCORE)[where.reshape(-1)]
