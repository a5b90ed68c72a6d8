"""Components and their triggers: checks and metrics computed before and after each run.

A subclass overrides `before_run(self, **inputs)` (the call's arguments by name) and/or `after_run(self, **values)`
(the output variables and the function's other locals at return). A trigger returns a dict of metrics, or raises
`CheckFailed`. Either way the result is stored with the run; a failing check marks the run stale, and whether the
exception reaches the caller is the component's choice (`raise_on_failure`, default True as in mltrace).
A trigger decorated with `@obsql.background` runs in a thread; its results are appended to the run when done.
`slas={"accuracy": ">= 0.9"}` bounds metrics the runs log (see `obsql.monitor.slas`), and
`detectors={"accuracy": "page_hinkley"}` watches them for a change (see `obsql.monitor.detectors`); both raise alerts.
"""
from __future__ import annotations

import functools
import inspect
import math
from typing import Any, Callable, Iterable

from obsql.client.logger import DEFAULT_STALENESS_DAYS, ComponentInfo
from obsql.client.clock import now
from obsql.client.record import CheckResult
from obsql.monitor.correctness import Correctness, parse_correctness
from obsql.monitor.detectors import Detector, parse_detectors
from obsql.monitor.slas import AlertEvent, AlertWatch, parse_slas


class CheckFailed(Exception):
    """Raised by a trigger when a check does not pass. `value` is the measured number, if any; `metrics` are
    measured values to keep even though the check failed."""

    def __init__(self, message: str, value: float | None = None, name: str | None = None,
                 metrics: dict[str, float] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.metrics = metrics or {}


def background(trigger: Callable) -> Callable:
    """Mark a trigger method to run in a background thread instead of delaying the run."""
    trigger.__obsql_background__ = True
    return trigger


@functools.lru_cache(maxsize=None)  # asked three times a run; a class's methods are set when it is defined
def _overrides(kind: type, method: str) -> bool:
    return getattr(kind, method) is not getattr(Component, method)


_DESCRIBED_BY = frozenset({"name", "description", "owner", "tags", "staleness_days", "slas", "static", "correct"})


class Component:
    """A stage of a pipeline: name (the key), description, owner, tags, and its triggers."""

    def __init__(self, name: str, *, description: str = "", owner: str = "", tags: Iterable[str] = (),
                 staleness_days: float = DEFAULT_STALENESS_DAYS, raise_on_failure: bool = True,
                 slas: dict[str, str] | None = None, detectors: dict[str, str | Detector] | None = None,
                 on_alert: Callable[[AlertEvent], None] | None = None, static: bool = False,
                 correct: str | Correctness | None = None) -> None:
        """Everything after the name is keyword-only: mltrace's `Component(name, owner, description)` order,
        passed on positionally, would swap them silently.

        `static=True` declares what the component writes long-lived (a reference table loaded once): runs that read
        it are never stale by its age; a newer version of it still makes them stale.

        `slas` bounds metrics (`{"accuracy": ">= 0.9"}`); `detectors` watches metrics for a change instead
        (`{"accuracy": "page_hinkley", "error_rate": "ddm", "latency_ms": "adwin(delta=0.002)"}`: one of
        page_hinkley, cusum, adwin, ddm, with parameters or not, or a detector instance). Either way the run that
        fails one opens an alert (`alerts` in OQL) and `on_alert` gets the event; an SLA's alert resolves after
        three runs that pass, a detector's after three values without a change once it has warmed up again.

        `correct` says when one of its predictions is right about its late label, for the derived `accuracy`:
        `"binary"` (the default; `"binary(threshold=0.3)"`), `"class"`, or `"regression(tolerance=2, relative=0.1)"`
        (see `obsql.monitor.correctness`)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a component needs a non-empty name")
        self.name = name
        self.description = description
        self.owner = owner
        self.tags = tuple(dict.fromkeys(tags))
        self.staleness_days = float(staleness_days)
        self.static = static
        self.correct = parse_correctness(correct)
        self.raise_on_failure = raise_on_failure
        self.slas = parse_slas(slas)
        self.detectors = parse_detectors(detectors)
        self.alert_watch = AlertWatch(name, (*self.slas, *self.detectors))
        self.on_alert = on_alert

    def before_run(self, **inputs: Any) -> dict | None:
        """Checks and metrics on a run's inputs; override in a subclass."""
        return None

    def after_run(self, **values: Any) -> dict | None:
        """Checks and metrics on a run's outputs and locals; override in a subclass."""
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _DESCRIBED_BY:  # the stored description changes with it
            self.__dict__.pop("_info", None)

    @property
    def info(self) -> ComponentInfo:
        """What the store keeps of the component; made once (every run logs it), again when an attribute changes."""
        info = self.__dict__.get("_info")
        if info is None:
            info = self.__dict__["_info"] = ComponentInfo(
                self.name, self.description, self.owner, self.tags, self.staleness_days,
                tuple(str(sla) for sla in self.slas), self.static, str(self.correct))
        return info

    def has_trigger(self, phase: str) -> bool:
        """Whether a subclass overrides the trigger of a phase ('before' or 'after')."""
        return _overrides(type(self), f"{phase}_run")

    def run(self, func: Callable | None = None, *, input_vars: Iterable[str] = (), output_vars: Iterable[str] = (),
            inputs: Iterable[str] = (), outputs: Iterable[str] = (), input_values: dict[str, str] | None = None,
            output_values: dict[str, str] | None = None, endpoint: bool = False, auto_log: bool = False):
        """Decorate a function so that each call is logged as a run of this component (options: see RunSpec)."""
        from obsql.client.runner import RunSpec, decorate

        spec = RunSpec(tuple(input_vars), tuple(output_vars), tuple(inputs), tuple(outputs), dict(input_values or {}),
                       dict(output_values or {}), endpoint, auto_log)
        if func is not None:
            return decorate(self, func, spec)
        return lambda f: decorate(self, f, spec)

    def __repr__(self) -> str:
        return f"Component({self.name!r})"


class TriggerOutcome:
    """What a trigger produced: its check result, its metrics, and the exception to re-raise (if any)."""

    def __init__(self) -> None:
        self.checks: list[CheckResult] = []
        self.metrics: dict[str, float] = {}
        self.error: BaseException | None = None


def run_trigger(component: Component, phase: str, values: dict[str, Any]) -> TriggerOutcome:
    """Call a component's trigger for `phase` with the values it asks for, turning its result into data."""
    outcome = TriggerOutcome()
    method = getattr(component, f"{phase}_run")
    name = f"{phase}_run"
    try:
        result = method(**_accepted(method, values))
        outcome.metrics = _metrics_from(result, name)
        outcome.checks.append(CheckResult(name, phase, True, ts=now()))
    except CheckFailed as exc:
        outcome.checks.append(CheckResult(exc.name or name, phase, False, exc.value, exc.message, now()))
        outcome.metrics = {str(k): float(v) for k, v in exc.metrics.items()
                           if isinstance(v, (int, float)) and v == v}  # numbers only: a failing check must not raise
        outcome.error = exc
    except Exception as exc:  # a bug in a trigger is a failed check, never a lost run
        message = f"trigger raised {type(exc).__name__}: {exc}"
        outcome.checks.append(CheckResult(name, phase, False, None, message, now()))
        outcome.error = exc
    return outcome


def runs_in_background(component: Component, phase: str) -> bool:
    return bool(getattr(getattr(component, f"{phase}_run"), "__obsql_background__", False))


def _accepted(method: Callable, values: dict[str, Any]) -> dict[str, Any]:
    """The subset of `values` that `method` can take as keyword arguments."""
    parameters = inspect.signature(method).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return values
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in values.items() if k in names}


def _metrics_from(result: Any, trigger: str) -> dict[str, float]:
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"{trigger} must return a dict of metrics or None, not {type(result).__name__}")
    metrics = {}
    for key, value in result.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{trigger} returned a non-numeric metric {key!r}: {value!r}") from None
        if not math.isnan(number):
            metrics[str(key)] = number
    return metrics
