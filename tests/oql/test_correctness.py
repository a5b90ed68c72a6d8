"""The derived `accuracy` of `history` follows each component's declared rule of correctness."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import obsql

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
CASES = [  # component, rule, predictions, labels, accuracy
    ("churn", None, [0.9, 0.6, 0.4, 0.1], [1, 0, 0, 0], 0.75),
    ("fraud", "binary(threshold=0.3)", [0.9, 0.35, 0.25, 0.1], [1, 1, 1, 0], 0.75),
    ("intent", "class", [0.0, 2.0, 2.0, 1.0], [0, 2, 1, 1], 0.75),
    ("demand", "regression(tolerance=5, relative=0.1)", [100.0, 80.0, 50.0, 10.0], [108, 95, 52, 30], 0.5),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> obsql.Store:
    store = obsql.connect(tmp_path_factory.mktemp("correct") / "store")
    for name, rule, predictions, labels, _ in CASES:
        ids = [f"{name}-{i}" for i in range(len(predictions))]
        with obsql.run(obsql.Component(name, correct=rule), start=T0) as run:
            run.add_output(ids, values=predictions)
        store.log_feedback(ids, labels, ts=T0 + timedelta(hours=1))
    store.flush()
    return store


@pytest.mark.parametrize("name, rule, predictions, labels, expected", CASES, ids=[c[0] for c in CASES])
def test_accuracy_by_the_declared_rule(store, name, rule, predictions, labels, expected):
    assert store.query(f"history {name} metric accuracy | select accuracy").rows == [(expected,)]


def test_the_rule_is_stored_with_the_component(store):
    rows = dict(store.query("sql select name, correct from components").rows)
    assert rows["demand"] == "regression(tolerance=5, relative=0.1)" and rows["churn"] == "binary(threshold=0.5)"


def test_a_malformed_rule_is_refused_when_declared():
    with pytest.raises(ValueError, match="correct= takes one of binary, class, regression"):
        obsql.Component("x", correct="probability")
