"""The over-representation score against scipy's hypergeometric tail, element by element."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from obsql.monitor.enrichment import MAX_SCORE, over_representation


@st.composite
def rankings(draw):
    """A population, a slice drawn from it, and runs each covering K outputs of which k are in the slice."""
    population = draw(st.integers(1, 500))
    size = draw(st.integers(1, population))
    runs = draw(st.lists(st.integers(1, population), min_size=0, max_size=40))
    covered = [draw(st.integers(max(0, big + size - population), min(big, size))) for big in runs]
    return covered, runs, size, population


@settings(deadline=None, max_examples=200)
@given(rankings())
def test_scores_equal_scipy_for_each_run(case):
    k, big, size, population = case
    scores = over_representation(k, big, size, population)
    expected = [min(max(-hypergeom.logsf(x - 1, population, K, size) / math.log(10), 0.0), MAX_SCORE)
                for x, K in zip(k, big)]
    assert scores.shape == (len(k),)
    np.testing.assert_allclose(scores, np.nan_to_num(expected, nan=0.0), rtol=1e-9, atol=1e-12)


def test_repeated_pairs_score_alike_in_their_own_places():
    scores = over_representation([1, 5, 1, 5, 2], [1, 5, 1, 5, 40], 10, 100)
    assert scores[0] == scores[2] and scores[1] == scores[3]
    assert scores[1] > scores[0] > 0 and scores[4] < 0.1  # 2 of 10 against 40 of 100: fewer than expected


def test_no_runs_no_scores():
    assert over_representation([], [], 3, 10).shape == (0,)
