"""When a prediction counts as right, per component: `Component(..., correct="binary(threshold=0.3)")`.

The derived `accuracy` (in `history`, from outputs' values and their late labels) and `FeedbackJoin` need a rule,
and no single one fits every model:
- `binary` (the default, threshold 0.5): a score at or above the threshold predicts the positive class; the label
  is positive when at least 0.5 (labels are 0 or 1);
- `class`: the prediction must equal the label (class ids, or text labels);
- `regression(tolerance=2, relative=0.1)`: |prediction - label| <= tolerance + relative * |label|.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Number
from typing import Any

KINDS = ("binary", "class", "regression")
_SPEC = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$")
_PARAMETERS = {"binary": ("threshold",), "class": (), "regression": ("tolerance", "relative")}


@dataclass(frozen=True)
class Correctness:
    kind: str = "binary"
    threshold: float = 0.5
    tolerance: float = 0.0
    relative: float = 0.0

    def is_correct(self, prediction: Any, label: Any) -> bool:
        """Whether one prediction is right about its label under this rule."""
        if self.kind == "class" or not (isinstance(prediction, Number) and isinstance(label, Number)):
            return prediction == label
        if self.kind == "binary":
            return (prediction >= self.threshold) == (label >= 0.5)
        return abs(prediction - label) <= self.tolerance + self.relative * abs(label)

    def __str__(self) -> str:
        values = {name: getattr(self, name) for name in _PARAMETERS[self.kind]}
        inside = ", ".join(f"{name}={value:g}" for name, value in values.items())
        return f"{self.kind}({inside})" if inside else self.kind


DEFAULT = Correctness()


def parse_correctness(spec: str | Correctness | None) -> Correctness:
    """A rule from `"binary"`, `"binary(threshold=0.3)"`, `"class"`, `"regression(tolerance=2, relative=0.1)"`;
    None is the default (binary at 0.5). A malformed spec raises ValueError saying what is accepted."""
    if spec is None:
        return DEFAULT
    if isinstance(spec, Correctness):
        return spec
    match = _SPEC.match(str(spec))
    kind = match.group(1).lower() if match else None
    if kind not in KINDS:
        raise ValueError(f"correct= takes one of {', '.join(KINDS)} (with parameters in parentheses, like "
                         f"'binary(threshold=0.3)' or 'regression(tolerance=2)'), not {spec!r}")
    values = {}
    for part in filter(None, (p.strip() for p in (match.group(2) or "").split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in _PARAMETERS[kind]:
            known = ", ".join(_PARAMETERS[kind]) or "none"
            raise ValueError(f"{kind} takes the parameters {known}, not {name!r}")
        try:
            values[name] = float(value)
        except ValueError:
            raise ValueError(f"{kind}: {name} must be a number, not {value.strip()!r}") from None
        if not math.isfinite(values[name]) or (name != "threshold" and values[name] < 0):
            raise ValueError(f"{kind}: {name} must be a finite number{'' if name == 'threshold' else ' >= 0'}")
    return Correctness(kind, **values)
