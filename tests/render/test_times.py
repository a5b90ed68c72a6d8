"""One time format everywhere: ISO 8601 in UTC with a Z; to the second in tables and cards, with microseconds in
csv and json; durations as seconds."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from obsql.render.formats import format_result
from obsql.result import Result, iso_time

PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize("moment, precise, shown", [
    (datetime(2020, 3, 23, 0, 20, tzinfo=timezone.utc), False, "2020-03-23T00:20:00Z"),
    (datetime(2020, 3, 23, 0, 20, 0, 10265, tzinfo=timezone.utc), False, "2020-03-23T00:20:00Z"),
    (datetime(2020, 3, 23, 0, 20, 0, 10265, tzinfo=timezone.utc), True, "2020-03-23T00:20:00.010265Z"),
    (datetime(2020, 3, 23, 1, 20, tzinfo=PARIS), True, "2020-03-23T00:20:00Z"),  # shown in UTC
    (datetime(2020, 3, 23, 0, 20), False, "2020-03-23T00:20:00Z"),  # no zone: UTC
    (date(2020, 3, 23), True, "2020-03-23"),
])
def test_iso_time(moment, precise, shown):
    assert iso_time(moment, precise) == shown


def test_every_format_shows_the_same_instant_the_same_way():
    moment = datetime(2020, 3, 23, 0, 20, 0, 500, tzinfo=timezone.utc)
    result = Result(["start_time", "took"], [(moment, timedelta(seconds=1.5))])
    assert format_result(result, "table").splitlines()[2].split() == ["2020-03-23T00:20:00Z", "1.5"]
    assert format_result(result, "csv").splitlines()[1] == "2020-03-23T00:20:00.000500Z,1.5"
    assert json.loads(format_result(result, "json")) == [{"start_time": "2020-03-23T00:20:00.000500Z", "took": 1.5}]
    assert "start_time = 2020-03-23T00:20:00Z" in format_result(result, "line")
