"""Service-level agreements on business metrics: `Component(slas={"accuracy": ">= 0.9"})`, and the watch that turns
them, and the change detectors of `obsql.monitor.detectors`, into alerts.

After each run that logs a watched metric, the value is checked against each rule on it. A `violated` event is
stored when a metric's rule starts failing and a `resolved` event once it has held for `RESOLVE_AFTER` runs in a row
(so `alerts` shows what is open, and a long outage hovering around its bound is one alert, not dozens); the
component's `on_alert` callback, if any, gets each event. As the vision paper insists, alert on business metrics;
drift statistics explain, they do not page.
"""
from __future__ import annotations

import operator
import re
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
_FAILS_BY_GOING = {">=": "down", ">": "down", "<=": "up", "<": "up"}
RESOLVE_AFTER = 3
_SPEC = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class AlertRule(Protocol):
    """What the watch needs of a rule on a metric: an `Sla`, or a change detector (`detectors.MetricDetector`).
    `op` and `bound` are what the alerts table stores for it."""

    @property
    def metric(self) -> str: ...

    @property
    def op(self) -> str: ...

    @property
    def bound(self) -> float: ...

    @property
    def direction(self) -> str | None: ...  # 'up' or 'down': which way the metric went (or goes) wrong

    def holds(self, value: float) -> bool | None: ...  # None: this value tells nothing either way

    def describe(self, event: AlertEvent) -> str: ...


@dataclass(frozen=True)
class Sla:
    metric: str
    op: str
    bound: float

    def holds(self, value: float) -> bool:
        return _OPERATORS[self.op](value, self.bound)

    @property
    def direction(self) -> str | None:
        """'down' for a lower bound (failing means falling below it), 'up' for an upper one, None for == and !=."""
        return _FAILS_BY_GOING.get(self.op)

    def describe(self, event: AlertEvent) -> str:
        return f"{event.metric} = {event.value:.4g}, SLA {self}"

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


def parse_slas(slas: dict[str, str] | None) -> tuple[Sla, ...]:
    """SLAs from `{"metric": "<op> <number>"}`; a malformed bound raises ValueError naming it."""
    parsed = []
    for metric, spec in (slas or {}).items():
        match = _SPEC.match(str(spec))
        if match is None:
            raise ValueError(f"SLA for {metric!r} must look like '>= 0.9' (one of {', '.join(_OPERATORS)} and a "
                             f"number), not {spec!r}")
        parsed.append(Sla(str(metric), match.group(1), float(match.group(2))))
    return tuple(parsed)


@dataclass(frozen=True)
class AlertEvent:
    component: str
    run_id: str
    metric: str
    value: float
    sla: AlertRule  # the rule that fired: an Sla, or a change detector on the metric
    state: str  # 'violated' or 'resolved'
    direction: str | None = None  # which way the metric went wrong: 'up', 'down', or None (an == or != SLA)

    @property
    def message(self) -> str:
        return self.sla.describe(self)


class AlertWatch:
    """The alert rules of one component (SLAs and change detectors) and which are failing now, as this process
    last saw it.

    Each rule has its own episode: it opens when the rule fails and closes after `resolve_after` runs in a row in
    which it holds (values a rule cannot judge, like a detector's warm-up, neither count nor break the streak). The
    alerts table keys events by (component, metric), so the events are per metric: `violated` when a first rule on a
    metric fails, `resolved` when the last one failing on it closes.
    """

    def __init__(self, component: str, rules: tuple[AlertRule, ...], resolve_after: int = RESOLVE_AFTER) -> None:
        self.component = component
        self.rules = rules
        self.resolve_after = resolve_after
        self._open: dict[int, int] = {}  # index of a failing rule -> runs in a row it has held since it failed
        self._lock = threading.Lock()  # background triggers evaluate from their own threads; detectors keep state

    def evaluate(self, run_id: str, metrics: dict[str, float]) -> list[AlertEvent]:
        """The events a run's metrics cause: a new violation, or the end of one."""
        if not self.rules:
            return []
        with self._lock:
            return [event for index, rule in enumerate(self.rules) if rule.metric in metrics
                    for event in self._judge(index, rule, run_id, metrics[rule.metric])]

    def _judge(self, index: int, rule: AlertRule, run_id: str, value: float) -> list[AlertEvent]:
        holds = rule.holds(value)
        if holds is False:
            opens = index not in self._open
            self._open[index] = 0
            return self._event(index, run_id, value, "violated") if opens else []
        if holds is None or index not in self._open:
            return []
        self._open[index] += 1
        if self._open[index] < self.resolve_after:
            return []
        del self._open[index]
        return self._event(index, run_id, value, "resolved")

    def _event(self, index: int, run_id: str, value: float, state: str) -> list[AlertEvent]:
        """The event of a rule's episode opening or closing, unless another rule keeps its metric's alert open."""
        rule = self.rules[index]
        if any(self.rules[other].metric == rule.metric for other in self._open if other != index):
            return []
        return [AlertEvent(self.component, run_id, rule.metric, value, rule, state, rule.direction)]


SlaWatch = AlertWatch  # its name from before change detectors joined the SLAs
