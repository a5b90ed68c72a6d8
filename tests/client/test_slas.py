"""SLAs on business metrics: one alert per outage (violated, then resolved), stored, shown by OQL, passed on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import obsql
from obsql.monitor.slas import Sla, SlaWatch, parse_slas

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("spec, expected", [
    (">= 0.9", Sla("accuracy", ">=", 0.9)), ("<0.05", Sla("accuracy", "<", 0.05)),
    ("== 1", Sla("accuracy", "==", 1.0)), ("!= -2e-3", Sla("accuracy", "!=", -0.002)),
])
def test_sla_specs_parse(spec, expected):
    assert parse_slas({"accuracy": spec}) == (expected,)


@pytest.mark.parametrize("spec", ["0.9", ">= high", "=> 0.9", ""])
def test_malformed_sla_specs_name_the_metric(spec):
    with pytest.raises(ValueError, match="'accuracy'"):
        parse_slas({"accuracy": spec})


@pytest.mark.parametrize("values, states", [
    ([0.95, 0.95], []),
    ([0.8], ["violated"]),
    ([0.8, 0.7, 0.6], ["violated"]),                              # one outage, one alert
    ([0.8, 0.95, 0.95, 0.95], ["violated", "resolved"]),          # resolved after three good runs in a row
    ([0.8, 0.95, 0.8, 0.95, 0.95], ["violated"]),                 # a good run inside the outage does not resolve it
    ([0.8, 0.95, 0.95, 0.95, 0.7], ["violated", "resolved", "violated"]),
])
def test_an_outage_is_one_alert(values, states):
    watch = SlaWatch("inference", parse_slas({"accuracy": ">= 0.9"}))
    events = [e for i, v in enumerate(values) for e in watch.evaluate(f"r{i}", {"accuracy": v})]
    assert [e.state for e in events] == states


def test_runs_without_the_metric_are_not_judged():
    watch = SlaWatch("inference", parse_slas({"accuracy": ">= 0.9"}))
    assert watch.evaluate("r1", {"other": 0.1}) == []


def test_violations_are_stored_shown_by_alerts_and_passed_to_the_callback(store):
    seen = []
    component = obsql.Component("inference", slas={"accuracy": ">= 0.9"}, on_alert=seen.append)
    for day, accuracy in enumerate([0.95, 0.8, 0.7]):
        with obsql.run(component, start=T0 + timedelta(days=day)) as r:
            r.log_metric("accuracy", accuracy)
    assert [(e.state, e.value) for e in seen] == [("violated", 0.8)]
    assert store.query("alerts | select component, metric, value, op, bound").rows == [
        ("inference", "accuracy", 0.8, ">=", 0.9)]
    assert store.query("expect alerts is empty").passed is False
    assert store.query("expect alerts of inference | count(*) = 1").passed is True


def test_a_failing_check_keeps_the_metrics_it_measured(store):
    class Drifting(obsql.Component):
        def after_run(self, **values):
            raise obsql.CheckFailed("features moved", name="shift", metrics={"ks_max": 0.4, "note": "text"})

    with obsql.run(Drifting("monitor", raise_on_failure=False), start=T0):
        pass
    assert store.query("history monitor metric ks_max | select ks_max").rows == [(0.4,)]
    assert store.query("stale of monitor | select reasons").rows == [(["check shift failed (after): features moved"],)]
