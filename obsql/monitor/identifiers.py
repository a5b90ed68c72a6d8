"""Identifier-like columns: keys (a transaction id, a request uuid) that two samples never share.

Treated as a category, a key column is "the most drifted" on every comparison (each side's values are new to the
other), and an adversarial classifier learns nothing general from it. A column is identifier-like when nearly
every value in each side's sample is distinct and it is text, or whole numbers whose name says it is a key
(`id`, `user_id`, `request_uuid`, `order_key`): an integer amount or count may be nearly all distinct too and is
a real feature. A user leaves any other column out with `drift(* except a, b)`.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple, Sequence

if TYPE_CHECKING:  # the compiler reads this module's rule; polars loads only when a frame is looked at
    import polars as pl

DISTINCT_SHARE = 0.5  # of a side's non-null values; a text column this varied cannot be compared as categories
MIN_VALUES = 20  # fewer values on a side say nothing about how distinct the column is
KEY_NAME = re.compile(r"(?:^|_)(?:id|uuid|guid|key)$|[a-z](?:Id|ID|Uuid|UUID|Key)$", re.IGNORECASE)


def is_key_name(name: str) -> bool:
    """Whether a column's name says it is a key: `id`, `*_id`, `*_uuid`, `*_guid`, `*_key`, `userId`."""
    return KEY_NAME.search(name) is not None


class Side(NamedTuple):
    """What the rule needs to know of a column on one side: whether it is text, whether its values are all whole
    numbers, how many values it has (nulls and NaN aside) and how many distinct ones."""

    text: bool
    whole: bool
    values: int
    distinct: int


def is_identifier(name: str, *sides: pl.Series) -> bool:
    """Whether a column looks like a key on every side given (see the module's rule)."""
    from obsql.monitor.inputs import kind_of, present

    described = []
    for series in sides:
        values, _ = present(series)
        described.append(Side(kind_of(series.dtype) == "categorical", _whole_numbers(values), len(values),
                              values.n_unique()))
    return looks_like_a_key(name, described)


def looks_like_a_key(name: str, sides: Sequence[Side]) -> bool:
    """The module's rule, from each side's description (an engine can count these without pulling the values)."""
    for side in sides:
        if not (side.text or (side.whole and is_key_name(name))):
            return False
        if side.values < MIN_VALUES or side.distinct < DISTINCT_SHARE * side.values:
            return False
    return bool(sides)


def _whole_numbers(values: pl.Series) -> bool:
    """Integers, or floats that all are (the store samples every number as a float)."""
    if values.dtype.is_integer():
        return True
    return values.dtype.is_float() and bool((values == values.floor()).all())


def identifier_columns(reference: pl.DataFrame, current: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns among `columns` that look like keys in both frames."""
    return [name for name in columns if is_identifier(name, reference[name], current[name])]
