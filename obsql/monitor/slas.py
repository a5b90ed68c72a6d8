"""Service-level agreements on business metrics: `Component(slas={"accuracy": ">= 0.9"})`.

After each run that logs a bounded metric, the value is checked against its bound. A `violated` event is stored
when the SLA starts failing and a `resolved` event once it has held for `RESOLVE_AFTER` runs in a row (so `alerts`
shows what is open, and a long outage hovering around its bound is one alert, not dozens); the component's
`on_alert` callback, if any, gets each event. As the
vision paper insists, alert on business metrics; drift statistics explain, they do not page.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Callable

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
RESOLVE_AFTER = 3
_SPEC = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Sla:
    metric: str
    op: str
    bound: float

    def holds(self, value: float) -> bool:
        return _OPERATORS[self.op](value, self.bound)

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
    sla: Sla
    state: str  # 'violated' or 'resolved'

    @property
    def message(self) -> str:
        return f"{self.metric} = {self.value:.4g}, SLA {self.sla}"


class SlaWatch:
    """The SLAs of one component and whether each is failing now, as this process last saw it."""

    def __init__(self, component: str, slas: tuple[Sla, ...], resolve_after: int = RESOLVE_AFTER) -> None:
        self.component = component
        self.slas = slas
        self.resolve_after = resolve_after
        self._open: dict[str, int] = {}  # metric -> passing runs in a row since it was violated

    def evaluate(self, run_id: str, metrics: dict[str, float]) -> list[AlertEvent]:
        """The events a run's metrics cause: a new violation, or the end of one."""
        events = []
        for sla in self.slas:
            if sla.metric not in metrics:
                continue
            value = metrics[sla.metric]
            if not sla.holds(value):
                if sla.metric not in self._open:
                    events.append(AlertEvent(self.component, run_id, sla.metric, value, sla, "violated"))
                self._open[sla.metric] = 0
            elif sla.metric in self._open:
                self._open[sla.metric] += 1
                if self._open[sla.metric] >= self.resolve_after:
                    events.append(AlertEvent(self.component, run_id, sla.metric, value, sla, "resolved"))
                    del self._open[sla.metric]
        return events
