"""Bound values as Spark takes them: `spark.sql(text, args=...)`, never written into the text.

Most values pass as they are. Three do not reach Spark intact, so they are bound in another form and the text turns
them back: dates and times (py4j goes through java.sql's Julian calendar before 1582, so `date.min`, which `recent`
binds, fails and year-1 times move by two days) bound as days or microseconds since the epoch, read back with
`date_from_unix_date` and `timestamp_micros`; and an empty list, which Spark cannot type, bound as `array()`. A list
of text (a walk's frontier) passes as one numpy array: pyspark makes a list one py4j call per value (3 s for 10,000
run ids), an array one call. Only the parameters the text names are bound.

A membership test `ARRAY_CONTAINS(:list, column)` in a short list (at most IN_VALUES values) becomes
`column IN (:list_0, ...)`, and in a longer one also gets the list's range, `column BETWEEN` its least and greatest
value: Spark does not push `array_contains` into the Parquet scan, so a walk's step read all of a sorted index file
(10 s for 169 run ids among 20M edges), while a range it pushes, and the row groups' statistics skip the rest
(0.16 s); an IN of a few values it pushes value by value, which also skips what lies between them (five flagged
outputs a year apart).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Sequence

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def bind(text: str, params: Sequence[Any] | dict | None) -> tuple[str, dict[str, Any] | list[Any] | None]:
    """The Spark text and `args` for `params` (by name, as `:name`, or by position, as `?`)."""
    if not params:
        return text, None
    if not isinstance(params, dict):
        return text, [_value(value) for value in params]
    text, params = _pushable(text, params)
    args = {}
    for name, value in params.items():
        if not re.search(rf":{name}\b", text):
            continue
        reading = _reading(value)
        if reading:
            text = re.sub(rf":{name}\b", f"{reading}(:{name})", text)
        args[name] = _value(value)
    return text, args


IN_VALUES = 10  # Spark's spark.sql.parquet.pushdown.inFilterThreshold: an IN of as many values is pushed as they are
_MEMBERSHIP = re.compile(r"ARRAY_CONTAINS\(:(\w+), ([\w.`]+)\)", re.IGNORECASE)


def _pushable(text: str, params: dict) -> tuple[str, dict]:
    """Each membership test in a non-empty list of comparable values as an IN of its values (a short list), or
    with the list's range before it."""
    ranged = dict(params)

    def with_range(found: re.Match) -> str:
        name, column = found.group(1), found.group(2)
        values = params.get(name)
        if not isinstance(values, list) or not values or not _comparable(values):
            return found.group(0)
        if len(values) <= IN_VALUES:
            ranged.update((f"{name}_{index}", value) for index, value in enumerate(values))
            return f"({column} IN ({', '.join(f':{name}_{index}' for index in range(len(values)))}))"
        ranged[f"{name}_least"], ranged[f"{name}_greatest"] = min(values), max(values)
        return f"({column} BETWEEN :{name}_least AND :{name}_greatest AND {found.group(0)})"

    return _MEMBERSHIP.sub(with_range, text), ranged


def _comparable(values: list) -> bool:
    kinds = {type(value) for value in values}
    return len(kinds) == 1 and kinds <= {str, int, float, date, datetime}


def _reading(value: Any) -> str | None:
    """The function that turns the bound form of `value` back into it, if it is bound in another form."""
    if isinstance(value, datetime):
        return "timestamp_micros"
    if isinstance(value, date):
        return "date_from_unix_date"
    return None


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        delta = moment - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, date):
        return (value - _EPOCH.date()).days
    if isinstance(value, list) and not value:
        from pyspark.sql import functions as F

        return F.array()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        import numpy as np

        return np.array(value, dtype=np.str_)
    return value
