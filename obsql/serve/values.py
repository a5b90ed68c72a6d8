"""Results as JSON: every value JSON-safe (times as ISO 8601 in UTC, durations as seconds, decimals as numbers, NaN
and infinities as null), and a result as columns and rows."""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from obsql.render.formats import plain_value  # times and durations as the json output format writes them
from obsql.result import Result


def jsonable(value: Any) -> Any:
    """A value as JSON holds it; what JSON has no form for (bytes, odd types) becomes its text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    shown = plain_value(value)
    if shown is None or isinstance(shown, (str, int, bool, float)):
        return shown
    return str(shown)


def result_payload(result: Result, max_rows: int) -> dict[str, Any]:
    """`{"oql", "shape", "columns", "rows", "row_count", "truncated", "notes"}` (and `passed` for an expect); at
    most `max_rows` rows."""
    rows = result.rows[:max_rows]
    payload = {"oql": result.statement, "shape": result.drawn_as, "columns": list(result.columns),
               "rows": [[jsonable(value) for value in row] for row in rows], "row_count": len(result.rows),
               "truncated": len(result.rows) > max_rows, "notes": list(result.notes)}
    if result.passed is not None:
        payload["passed"] = result.passed
    return payload
