"""Every value DuckDB can return has a JSON form in `--format json` and the server's answers, and a csv cell:
decimals as numbers, NaN and infinities as null in JSON, any other type as its text."""
from __future__ import annotations

import json
import uuid
from datetime import time
from decimal import Decimal

import pytest

from obsql.render.formats import format_result, plain_value
from obsql.result import Result


@pytest.mark.parametrize("value, shown", [
    (Decimal("1.50"), 1.5),
    (Decimal("12"), 12),
    (Decimal("123456789012345678901234567890"), 123456789012345678901234567890),  # whole: exact
    (Decimal("NaN"), None),
    (Decimal("-Infinity"), None),
    (float("inf"), None),
    (float("nan"), None),
    (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    (time(12, 30), "12:30:00"),
    (b"ab", "b'ab'"),
    ({1: Decimal("2.5")}, {"1": 2.5}),
    ([Decimal("1"), float("-inf")], [1, None]),
    (True, True),
])
def test_plain_value(value, shown):
    assert plain_value(value) == shown


def test_json_output_takes_every_type():
    result = Result(["d", "inf", "u"], [(Decimal("1.50"), float("inf"), uuid.UUID(int=1))])
    assert json.loads(format_result(result, "json")) == [
        {"d": 1.5, "inf": None, "u": "00000000-0000-0000-0000-000000000001"}]


def test_csv_keeps_infinity_and_leaves_nan_empty():
    result = Result(["a", "b", "c"], [(float("inf"), float("nan"), Decimal("2.25"))])
    assert format_result(result, "csv").splitlines() == ["a,b,c", "inf,,2.25"]
