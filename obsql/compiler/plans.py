"""What the compiler hands the engine.

- `SqlPlan`: one SELECT (pipes folded in), run as is.
- `StepPlan`: a result the engine builds by running named SQL steps in a loop (lineage walks, cards, flag writes),
  then refines with `pipe_sql`, a SELECT over the relation `__result`.
- `ExpectPlan`: a query and the assertion to check on its result.
Every plan can show its SQL (`explain`), with the bound parameters listed after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

RESULT_RELATION = "__result"


def _with_params(sql: str, params: dict[str, Any]) -> str:
    if not params:
        return sql
    bound = "\n".join(f"--   ${name} = {value!r}" for name, value in params.items())
    return f"{sql}\n-- parameters:\n{bound}"


@dataclass
class SqlPlan:
    sql: str
    params: dict[str, Any]
    shape: str = "table"  # how results present: table, history, compare, stale, ...
    bounds: dict[str, float] = field(default_factory=dict)  # SLA bounds of the metrics shown (history charts)

    def explain(self) -> str:
        return _with_params(self.sql, self.params)


@dataclass
class StepPlan:
    action: str  # which engine routine builds the result: trace, trace_forward, slice, rank, inspect_run, ...
    args: dict[str, Any]
    steps: dict[str, str]  # the SQL each step runs, by name
    params: dict[str, Any] = field(default_factory=dict)  # parameters of pipe_sql
    pipe_sql: str | None = None
    shape: str = "table"

    def explain(self) -> str:
        parts = [f"-- {self.action} {self.args}"]
        parts += [f"-- step {name}:\n{sql}" for name, sql in self.steps.items()]
        if self.pipe_sql:
            parts.append(f"-- then, over {RESULT_RELATION}:\n{_with_params(self.pipe_sql, self.params)}")
        return "\n".join(parts)


@dataclass
class ExpectPlan:
    query: Union[SqlPlan, StepPlan]
    kind: str  # empty, not_empty, condition
    text: str  # the statement as written, for reports
    condition_sql: str | None = None  # SELECT over __result giving (passed, observed)
    params: dict[str, Any] = field(default_factory=dict)

    def explain(self) -> str:
        parts = [f"-- expect ({self.kind}): {self.text}", self.query.explain()]
        if self.condition_sql:
            parts.append(f"-- assertion over {RESULT_RELATION}:\n{_with_params(self.condition_sql, self.params)}")
        return "\n".join(parts)


Plan = Union[SqlPlan, StepPlan, ExpectPlan]
