"""How unusual a run's value is for its component: the baselines and tests `diagnose` builds on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from obsql.monitor.anomalies import COLUMN_TESTS, Series, judged, metric_change

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _metric_rows(values):
    return [{"run_id": f"r{i}", "start_time": T0 + timedelta(days=i, minutes=37 * i), "name": "m", "value": v}
            for i, v in enumerate(values)]


def test_a_steady_rise_is_not_an_anomaly():
    rng = np.random.default_rng(0)
    rows = _metric_rows(list(100 + 2 * np.arange(40) + rng.normal(0, 0.5, 40)))
    assert judged(rows[-1], Series(rows), rows[-1]["start_time"], metric_change) is None
    rows[-1]["value"] = 260.0  # where the line would be some 40 runs later
    assert judged(rows[-1], Series(rows), rows[-1]["start_time"], metric_change) is not None


def test_a_count_must_halve_or_double():
    rows = _metric_rows([1000.0 + i % 5 for i in range(30)] + [1400.0])
    assert judged(rows[-1], Series(rows), rows[-1]["start_time"], metric_change) is None
    rows[-1]["value"] = 2100.0
    assert judged(rows[-1], Series(rows), rows[-1]["start_time"], metric_change) is not None


def _column_row(i, values):
    values = np.asarray(values, dtype=float)
    quantiles = np.quantile(values, [k / 20 for k in range(21)])
    return {"run_id": f"r{i}", "start_time": T0 + timedelta(days=i), "n": len(values), "null_frac": 0.0,
            "mean": values.mean(), "std": values.std(ddof=1), "midmean": quantiles[5:16].mean(),
            "iqr": quantiles[15] - quantiles[5], "distinct_share": 1.0}


def _column_changes(last_values):
    rng = np.random.default_rng(1)
    rows = [_column_row(i, rng.normal(15, 3, 12)) for i in range(30)] + [_column_row(30, last_values)]
    series = Series(rows)
    return [test for test in COLUMN_TESTS if judged(rows[-1], series, rows[-1]["start_time"], test) is not None]


def test_a_sentinel_in_one_row_is_not_a_change_but_a_constant_column_is():
    rng = np.random.default_rng(2)
    sentinel = rng.normal(15, 3, 12)
    sentinel[0] = 999.0
    assert _column_changes(sentinel) == []
    assert "_spread_change" in [test.__name__ for test in _column_changes(np.full(12, 21.5))]


def test_a_change_the_component_often_showed_counts_less_the_more_often():
    """A feed that loses one station in twelve every so often: the k earlier times weigh the change 1 / (k + 1)."""
    from obsql.monitor.anomalies import _null_change

    def rows(spikes):
        found = [{"run_id": f"r{i}", "start_time": T0 + timedelta(days=i), "n": 300,
                  "null_frac": 1 / 12 if i in spikes else 0.0} for i in range(60)]
        return found[-1], Series(found)

    last, series = rows({59})
    alone = judged(last, series, last["start_time"], _null_change)
    last, series = rows({11, 20, 26, 59})  # earlier than the last 30 runs, and not on the last run's weekday
    (evidence, score) = judged(last, series, last["start_time"], _null_change)
    assert alone is not None and score == alone[1] / 4
    assert "about as unusual 3 times before, last on 2024-01-27" in evidence


def test_missing_values_that_come_in_clusters_spread_as_the_history_shows():
    """A station's 25 rows of 300 go missing together: three such days among the last 30 make the usual spread the
    history's standard deviation (two stations out: z 6.7), not the binomial one of 300 independent rows (z 71)."""
    from statistics import pstdev

    from obsql.monitor.anomalies import _null_change

    past = [{"n": 300, "null_frac": 1 / 12 if i in (4, 12, 25) else 0.0} for i in range(30)]
    verdict = _null_change({"n": 300, "null_frac": 2 / 12}, past)
    assert verdict.z == pytest.approx((2 / 12) / pstdev(p["null_frac"] for p in past))
    quiet = _null_change({"n": 300, "null_frac": 2 / 12}, [{"n": 300, "null_frac": 0.0}] * 30)
    assert quiet.z > 10 * verdict.z


def test_the_days_of_a_spike_still_going_on_are_not_its_usual_spread():
    """A window that starts on a spike's second day: the first day's 60% missing is the same episode, not history
    that makes 60% usual."""
    from obsql.monitor.anomalies import _null_change

    clean = [{"n": 200, "null_frac": 0.01} for _ in range(29)]
    during = _null_change({"n": 200, "null_frac": 0.6}, clean + [{"n": 200, "null_frac": 0.61}])
    assert during.z == _null_change({"n": 200, "null_frac": 0.6}, clean + [{"n": 200, "null_frac": 0.01}]).z
    assert during.z > 50
