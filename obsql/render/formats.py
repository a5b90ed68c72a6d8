"""Results in exchange formats: csv, json (an array of row objects) and markdown; `table` is the text renderer, and
`line` every row as `column = value` lines (psql's expanded mode).
Without a header (`--no-header`) a table and a csv file hold their rows alone; json and markdown keep their names."""
from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from obsql.result import Result, iso_time
from obsql.render.text import cell, lines, render

FORMATS = ("table", "csv", "json", "markdown", "line")


def plain_value(value: Any) -> Any:
    """A value JSON can hold: times as ISO text, durations as seconds, decimals as numbers, NaN and infinities as
    null, lists and records kept, any other type (uuid, bytes, time of day) as its text."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return _decimal_number(value)
    if isinstance(value, (datetime, date)):
        return iso_time(value, precise=True)
    if isinstance(value, timedelta):  # durations as seconds, as the runs' duration_s
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return str(value)


def _decimal_number(value: Decimal) -> int | float | None:
    """A whole decimal as an int (exact), others as the nearest float; NaN and infinities as null."""
    if not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def to_json(result: Result, header: bool = True) -> str:
    return json.dumps([{k: plain_value(v) for k, v in row.items()} for row in result.to_dicts()], indent=2)


def to_csv(result: Result, header: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(result.columns)
    writer.writerows([_csv_cell(v) for v in row] for row in result.rows)
    return buffer.getvalue().rstrip("\n")


def _csv_cell(value: Any) -> Any:
    """A csv field: nothing for null, true/false, lists and records as JSON, times as ISO text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(plain_value(value))
    if isinstance(value, float) and math.isinf(value):
        return value  # csv has a word for it: inf, -inf
    return plain_value(value)


def to_markdown(result: Result, header: bool = True) -> str:
    def escape(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(escape(c) for c in result.columns) + " |",
             "| " + " | ".join("---" for _ in result.columns) + " |"]
    lines += ["| " + " | ".join(escape(cell(v, 200)) for v in row) + " |" for row in result.rows]
    return "\n".join(lines)


WRITERS: dict[str, Callable[[Result, bool], str]] = {"csv": to_csv, "json": to_json, "markdown": to_markdown,
                                                "line": lambda result, header: lines(result)}


def format_result(result: Result, fmt: str, header: bool = True, width: int | None = None) -> str:
    """A result in one of FORMATS; `width` fits a table to a screen that wide (the other formats carry every
    column always)."""
    if fmt == "table":
        return render(result, header, width)
    return WRITERS[fmt](result, header)
