"""Joining predictions with delayed feedback: exact answers with room, bounded memory and unbiased estimates without."""
from datetime import datetime, timedelta

import numpy as np
import pytest

from obsql.monitor import FeedbackJoin
from obsql.monitor.correctness import Correctness, parse_correctness

START = datetime(2024, 3, 1)


def stream(seed, n, wrong_delay, right_delay=30.0, accuracy=0.8):
    """Events (time, kind, id, value) of a binary classifier whose wrong answers get feedback later."""
    rng = np.random.default_rng(seed)
    correct = rng.random(n) < accuracy
    delays = np.where(correct, rng.exponential(right_delay, n), rng.exponential(wrong_delay, n))
    predictions = [(float(i), 0, i, 0.9 if correct[i] else 0.1) for i in range(n)]
    feedback = [(i + float(delays[i]), 1, i, 1) for i in range(n)]
    return sorted(predictions + feedback), correct


def replay(join, events, until=None):
    """Feed events (up to time `until`) and return the ids whose feedback arrived."""
    arrived = []
    for at, kind, id, value in events:
        if until is not None and at > until:
            break
        if kind == 0:
            join.add_prediction(id, START + timedelta(seconds=at), value)
        else:
            join.add_feedback(id, START + timedelta(seconds=at), value)
            arrived.append(id)
    return arrived


@pytest.mark.parametrize("seed", range(3))
def test_exact_answers_while_nothing_is_evicted(seed):
    events, correct = stream(seed, 3000, wrong_delay=200.0)
    join = FeedbackJoin(capacity=5000, bucket=timedelta(seconds=100))
    arrived = replay(join, events, until=2500.0)
    latest = max(at for at, *_ in events if at <= 2500.0)
    assert join.accuracy() == pytest.approx(correct[arrived].mean())
    made_late = [i for i in arrived if i >= 100 * np.floor((latest - 600) / 100)]
    assert join.accuracy(window=timedelta(seconds=600)) == pytest.approx(correct[made_late].mean())
    assert join.accuracy(last=250) == pytest.approx(correct[arrived[-250:]].mean())
    interval = join.accuracy_interval()
    assert interval.low == interval.estimate == interval.high and interval.joined == len(arrived)
    assert (join.predictions, join.joined, join.pending, join.evicted) == (2501, len(arrived), 2501 - len(arrived), 0)


def test_feedback_may_come_before_its_prediction():
    join = FeedbackJoin(capacity=10)
    join.add_feedback("a", 5.0, 1)
    join.add_feedback("b", 6.0, "cat")
    join.add_prediction("a", 7.0, 0.8)
    join.add_prediction("b", 8.0, "dog")
    assert (join.joined, join.pending, join.accuracy()) == (2, 0, 0.5)


def test_feedback_for_unknown_ids_is_counted_not_fatal():
    join = FeedbackJoin(capacity=3)
    for i in range(10):
        join.add_feedback(f"ghost-{i}", float(i), 1)
    assert (join.feedback, join.unmatched_feedback, join.joined) == (10, 7, 0)
    assert join.accuracy() is None and join.memory_rows == 3


@pytest.mark.parametrize("seed", range(5))
def test_estimate_stays_within_its_bound_when_delays_depend_on_the_outcome(seed):
    events, correct = stream(1000 + seed, 20_000, wrong_delay=1500.0)
    join = FeedbackJoin(capacity=200, bucket=100.0, seed=seed)
    peak = 0
    arrived = []
    for at, kind, id, value in events:
        (join.add_prediction if kind == 0 else join.add_feedback)(id, at, value)
        arrived += [id] if kind == 1 else []
        peak = max(peak, join.memory_rows)
    truth = correct[arrived].mean()
    interval = join.accuracy_interval()
    assert join.evicted > 1000  # the waiting set overflowed: this is an estimate
    assert interval.low <= truth <= interval.high
    assert abs(interval.estimate - truth) < 0.015
    assert peak <= 4 * 200


def test_window_is_measured_back_from_the_latest_timestamp_in_bucket_steps():
    join = FeedbackJoin(capacity=100, bucket=60.0)
    for minute, right in [(0, True), (1, False), (2, True), (3, True)]:
        join.add_prediction(minute, minute * 60.0 + 5, 1.0 if right else 0.0)
        join.add_feedback(minute, minute * 60.0 + 10, 1)
    assert join.accuracy(window=120.0) == pytest.approx(2 / 3)  # minutes 1, 2 and 3 (bucket of 190 s - 120 s)
    assert join.accuracy(window=timedelta(seconds=30)) == 1.0
    assert join.accuracy() == 0.75


@pytest.mark.parametrize("kwargs, message", [
    ({"last": 11}, "last 10"), ({"window": 11 * 60.0}, "10 buckets"), ({"window": 60.0, "last": 2}, "not both"),
])
def test_requests_beyond_what_is_kept_are_refused(kwargs, message):
    join = FeedbackJoin(capacity=10, bucket=60.0)
    with pytest.raises(ValueError, match=message):
        join.accuracy(**kwargs)


@pytest.mark.parametrize("rule, prediction, label, expected", [
    ("binary", 0.7, 1, True), ("binary", 0.5, 1, True), ("binary", 0.49, 0, True), ("binary", 0.2, 1, False),
    ("binary", True, 1, True), ("binary(threshold=0.3)", 0.35, 1, True), ("binary(threshold=0.3)", 0.35, 0, False),
    ("class", 2.0, 2, True), ("class", 2.0, 1, False), ("class", "cat", "cat", True), ("binary", "cat", "dog", False),
    ("binary", 1, "yes", False), ("regression(tolerance=2)", 10.0, 11.5, True), ("regression(tolerance=2)", 10, 13, False),
    ("regression(relative=0.1)", 95, 100, True), ("regression(tolerance=1, relative=0.1)", 88, 100, False),
])
def test_correctness(rule, prediction, label, expected):
    assert parse_correctness(rule).is_correct(prediction, label) == expected


@pytest.mark.parametrize("spec, message", [
    ("probability", "takes one of binary, class, regression"), ("binary(tolerance=1)", "takes the parameters threshold"),
    ("regression(tolerance=x)", "must be a number"), ("regression(tolerance=-1)", ">= 0"), ("class(k=1)", "none"),
])
def test_a_malformed_rule_says_what_is_accepted(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_correctness(spec)


def test_rules_print_as_they_are_declared():
    assert str(parse_correctness("regression(tolerance=2)")) == "regression(tolerance=2, relative=0)"
    assert parse_correctness(str(Correctness("binary", threshold=0.3))) == Correctness("binary", threshold=0.3)


def test_a_join_counts_by_its_rule():
    join = FeedbackJoin(capacity=10, bucket=60.0, correct="regression(tolerance=1)")
    for i, (prediction, label) in enumerate([(10.0, 10.5), (10.0, 12.0)]):
        join.add_prediction(i, float(i), prediction)
        join.add_feedback(i, float(i), label)
    assert join.accuracy() == 0.5


def test_a_join_that_has_seen_nothing_has_no_accuracy_in_any_window():
    join = FeedbackJoin(100)
    assert join.accuracy() is None and join.accuracy(window=timedelta(hours=1)) is None
    assert join.accuracy(last=10) is None
