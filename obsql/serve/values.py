"""Results as JSON: every value JSON-safe (times as ISO 8601 in UTC, durations as seconds, decimals as numbers, NaN
and infinities as null), and a result as columns and rows."""
from __future__ import annotations

from typing import Any

from obsql.render.formats import plain_value  # one set of rules with the json output format
from obsql.result import Result


def result_payload(result: Result, max_rows: int) -> dict[str, Any]:
    """`{"oql", "shape", "columns", "rows", "row_count", "truncated", "notes"}` (and `passed` for an expect); at
    most `max_rows` rows."""
    rows = result.rows[:max_rows]
    payload = {"oql": result.statement, "shape": result.drawn_as, "columns": list(result.columns),
               "rows": [[plain_value(value) for value in row] for row in rows], "row_count": len(result.rows),
               "truncated": len(result.rows) > max_rows, "notes": list(result.notes)}
    if result.passed is not None:
        payload["passed"] = result.passed
    return payload
