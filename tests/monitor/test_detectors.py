"""Change detectors: they find shifts soon and stay quiet on noise, reject bad parameters and declarations, and their
detections become alerts stored and shown like SLA violations."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import obsql
from obsql.monitor.detectors import (KNOWN_DETECTORS, Adwin, Cusum, Ddm, Detector, PageHinkley,
                                     decision_interval, in_control_run_length, parse_detectors)
from obsql.monitor.slas import RESOLVE_AFTER, AlertWatch, parse_slas

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
MEAN_DETECTORS = [PageHinkley, Cusum, Adwin]  # those that watch any numeric stream; Ddm takes error rates


def detections(detector: Detector, values) -> list[tuple[int, str]]:
    """Where the detector found a change in `values`, and which way it went."""
    return [(i, detector.last_change) for i, value in enumerate(values) if detector.update(value)]


def shifted(shift: float, before: int = 500, after: int = 300, seed: int = 0) -> np.ndarray:
    """Standard normal noise whose mean moves by `shift` after `before` values."""
    noise = np.random.default_rng(seed).standard_normal(before + after)
    return noise + np.r_[np.zeros(before), np.full(after, shift)]


@pytest.mark.parametrize("make", MEAN_DETECTORS)
@pytest.mark.parametrize("shift, direction", [(1.5, "up"), (-1.5, "down")])
def test_a_mean_shift_is_found_soon_and_its_direction_said(make, shift, direction):
    found = detections(make(), shifted(shift))
    assert found, "the shift was missed"
    (at, went), *_ = found
    assert 500 <= at < 500 + 60 and went == direction


@pytest.mark.parametrize("make", MEAN_DETECTORS)
def test_a_long_stationary_noisy_stream_raises_no_alarm(make):
    values = 3.0 + 0.5 * np.random.default_rng(1).standard_normal(5000)
    assert detections(make(), values) == []


@pytest.mark.parametrize("make", MEAN_DETECTORS)
def test_after_a_change_it_resets_and_finds_the_next_one(make):
    back = np.random.default_rng(3).standard_normal(300)
    values = np.concatenate([shifted(3.0, before=300, after=300, seed=2), back])
    found = detections(make(), values)
    assert [went for _, went in found] == ["up", "down"]
    assert 300 <= found[0][0] < 360 and 600 <= found[1][0] < 660


@pytest.mark.parametrize("make", MEAN_DETECTORS)
def test_a_restricted_direction_ignores_the_other_way(make):
    assert detections(make(direction="up"), shifted(-2.0)) == []
    assert [went for _, went in detections(make(direction="down"), shifted(-2.0))][:1] == ["down"]


@pytest.mark.parametrize("make", MEAN_DETECTORS)
@pytest.mark.parametrize("direction", ["up", "down"])
def test_a_one_way_detector_reports_the_two_way_detectors_changes_that_go_its_way(make, direction):
    """It follows the stream both ways (a fall resets a detector watching for rises), so that a later rise is
    measured from the level before it, not from a mix of the levels before the fall and after it."""
    noise = np.random.default_rng(5).standard_normal(1200)
    values = noise + np.r_[np.zeros(300), np.full(300, -3.0), np.zeros(300), np.full(300, 2.0)]
    both = detections(make(), values)
    assert [went for _, went in both] == ["down", "up", "up"]
    assert detections(make(direction=direction), values) == [(at, went) for at, went in both if went == direction]


def test_page_hinkley_keeps_its_spread_after_a_change_and_tests_again_soon():
    noise = np.random.default_rng(6).standard_normal(160)
    values = noise + np.r_[np.zeros(100), np.full(20, 3.0), np.full(40, 8.0)]
    (first, _), (second, _) = detections(PageHinkley(), values)
    assert 100 <= first < 110 and 120 <= second < first + 30  # blind for 10 values, not another 30
    (first, _), (second, _) = detections(PageHinkley(rewarm=30), values)
    assert second >= first + 30


def test_the_detector_scale_is_the_streams_own():
    """Page-Hinkley and CUSUM thresholds are in standard deviations: a latency in milliseconds and an accuracy near
    0.9 with the same relative shift are found at the same point."""
    noise = shifted(1.5, seed=4)
    for make in (PageHinkley, Cusum):
        assert detections(make(), 120 + 15 * noise)[:1] == detections(make(), 0.9 + 0.01 * noise)[:1] != []


def test_ddm_finds_a_rise_in_the_error_rate_after_warning_of_it():
    rng = np.random.default_rng(5)
    errors = (rng.random(4000) < np.r_[np.full(2000, 0.1), np.full(2000, 0.3)]).astype(float)
    ddm, found, warned = Ddm(), [], []
    for i, error in enumerate(errors):
        if ddm.update(error):
            found.append(i)
        elif ddm.warning:
            warned.append(i)
    assert found and 2000 <= found[0] < 2200 and ddm.last_change == "up"
    assert any(2000 <= i < found[0] for i in warned), "no warning before the drift"


def test_ddm_stays_quiet_on_a_steady_error_rate_and_when_it_falls():
    rng = np.random.default_rng(6)
    errors = (rng.random(10000) < np.r_[np.full(5000, 0.2), np.full(5000, 0.05)]).astype(float)
    assert detections(Ddm(), errors) == []


def test_ddm_takes_error_indicators_or_rates_only():
    ddm = Ddm()
    ddm.update(0.25)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        ddm.update(1.5)


@pytest.mark.parametrize("make", [PageHinkley, Cusum, Adwin])
def test_nan_is_refused(make):
    with pytest.raises(ValueError, match="finite"):
        make().update(float("nan"))


def test_adwin_keeps_the_exact_mean_of_its_window_in_logarithmic_memory():
    values = np.random.default_rng(7).random(20000) + np.repeat([0.0, 0.5], 10000)
    adwin = Adwin()
    detections(adwin, values)
    assert adwin.width <= 10000  # the old half was dropped
    assert adwin.mean == pytest.approx(values[-adwin.width:].mean())
    buckets = sum(len(row) for row in adwin._rows)
    assert buckets <= (adwin.max_buckets + 1) * np.log2(adwin.width)


@pytest.mark.parametrize("h, run_length", [(4.0, 336), (5.0, 930)])
def test_the_run_length_formula_gives_the_textbook_one_sided_figures(h, run_length):
    """Montgomery's table for k = 0.5: two-sided ARL0 168 at h = 4 and 465 at h = 5, so twice that for one side."""
    assert in_control_run_length(h, 0.5) == pytest.approx(run_length, rel=0.02)


@given(st.floats(20.0, 1e7), st.just(0.0) | st.floats(0.1, 2.0))
def test_the_decision_interval_inverts_the_run_length(run_length, k):
    assert in_control_run_length(decision_interval(run_length, k), k) == pytest.approx(run_length, rel=1e-6)


def mean_run_length(make, streams: int, seed: int) -> float:
    """How many values of standard normal noise a fresh detector takes to raise its first (false) alarm, on
    average over `streams` streams."""
    rng, lengths = np.random.default_rng(seed), []
    for _ in range(streams):
        detector, n = make(), 0
        while not detector.update(rng.standard_normal()):
            n += 1
        lengths.append(n + 1)
    return float(np.mean(lengths))


@pytest.mark.parametrize("direction", ["up", "both"])
def test_arl_sets_the_false_alarm_rate_of_a_cusum_with_known_target(direction):
    measured = mean_run_length(lambda: Cusum(arl=200, target=0.0, sigma=1.0, direction=direction), 400, seed=7)
    assert 160 <= measured <= 250  # the standard error of a mean of 400 near-geometric run lengths is ~5%


@pytest.mark.parametrize("direction", ["up", "both"])
def test_arl_sets_the_false_alarm_rate_of_page_hinkley_after_its_warm_up(direction):
    measured = mean_run_length(lambda: PageHinkley(arl=200, min_samples=30, direction=direction), 300, seed=8)
    assert 160 <= measured - 30 <= 270  # its running mean and spread are estimates: a little longer than arl


def test_page_hinkleys_jump_limit_calls_a_sudden_large_shift_at_its_first_value():
    values = list(np.random.default_rng(9).normal(0.0, 1.0, 60)) + [6.0, 6.0, 6.0]
    assert detections(PageHinkley(threshold=10, jump=5), values) == [(60, "up")]
    assert detections(PageHinkley(threshold=10), values) == []  # the sum alone needs more of them
    assert detections(PageHinkley(threshold=10, jump=5, direction="down"), values) == []


def test_arl_sets_page_hinkleys_jump_limit_to_a_tenth_of_its_false_alarms():
    from scipy.stats import norm

    assert PageHinkley(arl=730, direction="up").jump == pytest.approx(norm.isf(1 / 7300))
    assert PageHinkley(arl=730).jump == pytest.approx(norm.isf(1 / 14600))
    assert PageHinkley().jump is None and PageHinkley(arl=730, jump=5).jump == 5


@pytest.mark.parametrize("make, params", [
    (PageHinkley, {"threshold": 0}), (PageHinkley, {"delta": -0.1}), (PageHinkley, {"min_samples": 1.5}),
    (PageHinkley, {"threshold": float("nan")}), (PageHinkley, {"threshold": "high"}),
    (PageHinkley, {"direction": "left"}), (PageHinkley, {"arl": 100, "threshold": 4}), (PageHinkley, {"jump": 0}),
    (Cusum, {"h": -1}), (Cusum, {"sigma": 0}), (Cusum, {"warmup": 1}), (Cusum, {"target": float("inf")}),
    (Cusum, {"k": True}), (Cusum, {"arl": 1}), (Cusum, {"arl": 3, "k": 2}), (Cusum, {"arl": 100, "h": 4}), (Adwin, {"delta": 0}), (Adwin, {"delta": 1}), (Adwin, {"clock": 0}),
    (Adwin, {"max_buckets": 1}), (Ddm, {"warning_level": 3, "drift_level": 2}), (Ddm, {"min_samples": 0}),
])
def test_invalid_parameters_raise_value_error(make, params):
    with pytest.raises(ValueError, match="|".join(params)):
        make(**params)


@pytest.mark.parametrize("spec, cls, attributes", [
    ("page_hinkley", PageHinkley, {"threshold": 10.0, "direction": "both"}),
    (" adwin(delta=0.002) ", Adwin, {"delta": 0.002}),
    ("cusum(target=120, sigma=15, direction=up)", Cusum, {"target": 120.0, "sigma": 15.0, "direction": "up"}),
    ("cusum(target=-3e-2, direction='down')", Cusum, {"target": -0.03, "direction": "down"}),
    ("ddm()", Ddm, {"drift_level": 3.0}),
    ("cusum(direction=up, arl=338)", Cusum, {"h": pytest.approx(4.0, abs=0.01)}),
    ("page_hinkley(arl=169)", PageHinkley, {"threshold": pytest.approx(4.0, abs=0.01)}),
])
def test_detector_specs_parse(spec, cls, attributes):
    ((watched),) = parse_detectors({"latency_ms": spec})
    assert watched.metric == "latency_ms" and type(watched.detector) is cls
    assert {name: getattr(watched.detector, name) for name in attributes} == attributes


def test_a_detector_instance_is_used_as_it_is_and_no_declaration_is_none():
    detector = Adwin(delta=0.01)
    assert parse_detectors({"accuracy": detector})[0].detector is detector
    assert parse_detectors(None) == parse_detectors({}) == ()


@pytest.mark.parametrize("spec, says", [
    ("page_hinky", "known detectors: adwin, cusum, ddm, page_hinkley"),
    ("adwin(0.1)", "known detectors"), ("adwin(delta=)", "known detectors"), ("adwin(delta=x + 1)", "known detectors"),
    ("", "known detectors"), (42, "known detectors"), ("adwin.x", "known detectors"),
    ("adwin(alpha=1)", "no parameter alpha .*its parameters: delta, max_buckets"),
    ("ddm(direction=up)", "no parameter direction"),
    ("adwin(delta=-1)", "delta must be above 0"),
])
def test_malformed_detector_specs_name_the_metric(spec, says):
    with pytest.raises(ValueError, match="'latency_ms'") as raised:
        parse_detectors({"latency_ms": spec})
    assert raised.match(says)


def test_every_known_detector_is_named_by_its_key():
    assert {name: cls.name for name, cls in KNOWN_DETECTORS.items()} == {
        "page_hinkley": "page_hinkley", "cusum": "cusum", "adwin": "adwin", "ddm": "ddm"}


class Scripted(Detector):
    """Detects a change at the values given, in the direction given; the `warmup` values after one are not judged."""

    name = "scripted"

    def __init__(self, changes: dict[int, str], warmup: int = 0) -> None:
        super().__init__()
        self.changes, self.warmup = changes, warmup
        self._seen = self._since_reset = 0

    @property
    def ready(self) -> bool:
        return self._since_reset > self.warmup

    @property
    def bound(self) -> float:
        return 1.5

    def _step(self, x: float) -> str | None:
        change = self.changes.get(self._seen)
        self._seen += 1
        self._since_reset = 0 if change else self._since_reset + 1
        return change


def states(watch: AlertWatch, values: list[float], metric: str = "accuracy") -> list[tuple[int, str, str, str]]:
    return [(i, e.state, e.sla.op, e.direction) for i, v in enumerate(values)
            for e in watch.evaluate(f"r{i}", {metric: v})]


def test_a_change_opens_an_alert_that_resolves_once_the_warmed_up_detector_stays_quiet():
    watch = AlertWatch("model", parse_detectors({"accuracy": Scripted({2: "down", 5: "down"}, warmup=2)}))
    # warm-up after each change: values 3, 4 and 6, 7 do not count; 8, 9, 10 are the three quiet ones
    assert RESOLVE_AFTER == 3
    assert states(watch, [0.9] * 12) == [(2, "violated", "scripted", "down"), (10, "resolved", "scripted", "down")]


def test_change_events_carry_the_rule_as_op_and_bound_and_say_what_happened():
    watch = AlertWatch("model", parse_detectors({"accuracy": Scripted({0: "up"})}))
    violated, = watch.evaluate("r0", {"accuracy": 0.95})
    assert (violated.sla.op, violated.sla.bound, violated.direction) == ("scripted", 1.5, "up")
    assert violated.message == "accuracy = 0.95, scripted detected a change up"
    resolved = [e for i in range(1, 4) for e in watch.evaluate(f"r{i}", {"accuracy": 0.96})]
    assert [e.message for e in resolved] == ["accuracy = 0.96, scripted quiet again after a change up"]


def test_missing_and_unusable_values_are_skipped():
    watch = AlertWatch("model", parse_detectors({"error_rate": Ddm(min_samples=1)}))
    for value in [float("nan"), float("inf"), 1.5, -0.1]:
        assert watch.evaluate("r", {"error_rate": value}) == []
    assert watch.evaluate("r", {"other": 0.2}) == []
    assert watch.rules[0].detector._n == 0  # none of them reached the detector


def test_an_sla_and_a_detector_on_one_metric_share_its_alert():
    detector = Scripted({1: "down"})
    watch = AlertWatch("model", (*parse_slas({"accuracy": ">= 0.9"}), *parse_detectors({"accuracy": detector})))
    values = [0.95, 0.95, 0.8, 0.95, 0.95, 0.95]  # the detector fires at 1, the SLA fails at 2
    # one episode: opened by the detector, held open by the SLA, resolved once both have held three times
    assert states(watch, values) == [(1, "violated", "scripted", "down"), (5, "resolved", ">=", "down")]


def test_changes_are_stored_shown_by_alerts_and_passed_to_the_callback(store):
    seen = []
    component = obsql.Component("model", detectors={"accuracy": "page_hinkley"}, on_alert=seen.append)
    rng = np.random.default_rng(8)
    accuracies = np.r_[0.9 + 0.01 * rng.standard_normal(60), 0.8 + 0.01 * rng.standard_normal(10)]
    for hour, accuracy in enumerate(accuracies):
        with obsql.run(component, start=T0 + timedelta(hours=hour)) as r:
            r.log_metric("accuracy", accuracy)
    assert [(e.state, e.direction) for e in seen] == [("violated", "down")]
    ((metric, op, bound, message),) = store.query("alerts of model | select metric, op, bound, message").rows
    assert (metric, op, bound) == ("accuracy", "page_hinkley", 10.0)
    assert "page_hinkley detected a change down" in message
    assert store.query("expect alerts of model is empty").passed is False
    ((worst,),) = store.query("alerts all of model | select worst").rows
    detected_at = list(accuracies).index(seen[0].value)
    assert worst == pytest.approx(min(accuracies[detected_at:]))  # a change down: its worst is its lowest value


def test_a_resolved_change_leaves_alerts_and_stays_in_alerts_all(store):
    component = obsql.Component("model", detectors={"latency_ms": "cusum(warmup=20)"})
    rng = np.random.default_rng(9)
    latencies = 100 + 5 * rng.standard_normal(80) + np.r_[np.zeros(20), np.full(60, 40.0)]
    for hour, latency in enumerate(latencies):
        with obsql.run(component, start=T0 + timedelta(hours=hour)) as r:
            r.log_metric("latency_ms", latency)
    assert store.query("alerts").rows == []
    ((op, bound, until, message),) = store.query("alerts all | select op, bound, until, message").rows
    assert (op, bound) == ("cusum", 14.0) and until is not None and "change up" in message


def test_a_background_trigger_feeds_the_detectors_too(store):
    class Scored(obsql.Component):
        @obsql.background
        def after_run(self, accuracy):
            return {"accuracy": accuracy}

    component = Scored("scored", detectors={"accuracy": Scripted({0: "down"})})

    @component.run(output_vars=["accuracy"])
    def score():
        accuracy = 0.5
        return accuracy

    score()
    assert store.query("alerts | select component, op").rows == [("scored", "scripted")]


@pytest.mark.parametrize("make", [PageHinkley, Cusum, Adwin, lambda: Cusum(target=0, sigma=1, warmup=2),
                                  lambda: PageHinkley(min_samples=2), lambda: Adwin(min_window=1)])
@example(values=[1.7976931348623157e+308, -9.9792015476736e+291])  # overflowed the running variance
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=200))
def test_any_finite_floats_give_a_bool_at_each_value(make, values):
    detector = make()
    assert all(type(detector.update(value)) is bool for value in values)


@given(values=st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=200), min_samples=st.integers(1, 40))
def test_any_error_rates_give_ddm_a_bool_at_each_value(values, min_samples):
    ddm = Ddm(min_samples=min_samples)
    assert all(type(ddm.update(value)) is bool for value in values)
