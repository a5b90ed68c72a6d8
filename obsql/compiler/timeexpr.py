"""Turning OQL time points (`@2020-03-15`, `7 days ago`, `now`) into instants, pinned to one `now` per statement."""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from obsql.grammar import ast

_FIXED_UNITS = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1),
                "day": timedelta(days=1), "week": timedelta(weeks=1)}


def resolve_time(point: ast.TimePoint, now: datetime) -> datetime:
    """The UTC instant a time point names."""
    if point.kind == "absolute":
        return point.at
    if point.kind == "now":
        return now
    return minus(now, point.ago)


def minus(moment: datetime, interval: ast.Interval) -> datetime:
    """`moment` minus an interval; months and years move on the calendar (Mar 31 - 1 month = Feb 29)."""
    if interval.unit in _FIXED_UNITS:
        return moment - _FIXED_UNITS[interval.unit] * interval.amount
    months = int(interval.amount * (12 if interval.unit == "year" else 1))
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
