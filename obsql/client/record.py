"""A component run while it happens: what `with obsql.run(...) as r` hands you, and what the decorator fills in."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from obsql.client.values import FrameNames, Pointer, artifact_pointer, object_hash, to_pointers


@dataclass
class CheckResult:
    """The outcome of one trigger: a check (passed or not) and/or a metric value."""

    name: str
    phase: str  # 'before' or 'after'
    passed: bool
    value: float | None = None
    message: str = ""
    ts: datetime | None = None


@dataclass
class RunRecord:
    """One execution of a component, as it is being recorded."""

    component: str
    start: datetime
    frames: FrameNames = field(repr=False)
    end: datetime | None = None
    inputs: list[Pointer] = field(default_factory=list)
    outputs: list[Pointer] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    notes: str = ""
    status: str = "ok"
    error: str | None = None
    code_hash: str | None = None
    code: str | None = None
    git_commit: str | None = None
    host: str | None = None
    run_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # what was logged, by variable name
    alerts: list = field(default_factory=list)  # SLA events this run caused (slas.AlertEvent)
    # column summaries given for pointers without a frame (a run imported from elsewhere), by pointer: dicts with
    # the keys `monitor.summarize` gives
    summaries: dict[str, list[dict]] = field(default_factory=dict, repr=False)

    def add_input(self, value: Any, var: str = "input", values: Any = None) -> None:
        """Record `value` (a name, names, a dataframe, any object) as an input of this run; a pointer it already
        has is kept once, where it first came. `values` gives each pointer a value (see `attach_values`)."""
        self._add(self.inputs, value, var, values, produced=False)

    def add_output(self, value: Any, var: str = "output", values: Any = None) -> None:
        """Record `value` as an output; `values` gives each pointer a value (e.g. prediction scores)."""
        self._add(self.outputs, value, var, values, produced=True)

    def add_artifact(self, value: Any, var: str, produced: bool) -> None:
        """Record an object named by its content: the name it was logged under before, else `<component>.<var>`."""
        self.values[var] = value
        _extend_once(self.outputs if produced else self.inputs,
                     [artifact_pointer(value, self.component, var, self.frames, produced)])

    def _add(self, kept: list[Pointer], value: Any, var: str, values: Any, produced: bool) -> None:
        self.values[var] = value
        pointers = to_pointers(value, self.component, var, self.frames, produced=produced)
        if values is not None:
            attach_values(pointers, [values] if isinstance(value, str) else values)
        _extend_once(kept, pointers)

    def log_metric(self, name: str, value: float) -> None:
        """Record a numeric metric of this run (the latest value for a name wins)."""
        self.metrics[str(name)] = float(value)

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]


def _extend_once(kept: list[Pointer], pointers: list[Pointer]) -> None:
    """Append the pointers not already in `kept` (by name), in order: a run that names one input twice read it
    once, and counting it twice would show one run as two versions of it."""
    names = {pointer.name for pointer in kept}
    for pointer in pointers:
        if pointer.name not in names:
            names.add(pointer.name)
            kept.append(pointer)


def attach_values(pointers: list[Pointer], values: Sequence[Any]) -> None:
    """Give each pointer the value at the same position (ids and their scores): a number is kept as the pointer's
    value, anything else as a hash of its content."""
    try:
        paired = list(values) if not isinstance(values, (str, bytes)) else None
    except TypeError:
        paired = None
    if paired is None:
        raise ValueError(f"{len(pointers)} pointer names need a list of as many values, not one "
                         f"{type(values).__name__}")
    if len(paired) != len(pointers):
        raise ValueError(f"{len(pointers)} ids but {len(paired)} values: they must pair up one to one")
    for pointer, value in zip(pointers, paired):
        if isinstance(value, numbers.Real) or value is None:
            pointer.value = _number(value)
        else:
            pointer.content_hash = object_hash(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
