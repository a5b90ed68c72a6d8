"""OQL times as SQL: time points (`@2020-03-15`, `7 days ago`, `now`) become instants pinned to one `now` per
statement, and time ranges become bound conditions."""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from obsql.errors import ObsqlError, position
from obsql.grammar import ast

if TYPE_CHECKING:
    from obsql.compiler.sql import SqlWriter

_FIXED_UNITS = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1),
                "day": timedelta(days=1), "week": timedelta(weeks=1)}
SECONDS = {unit: int(length.total_seconds()) for unit, length in _FIXED_UNITS.items()}
MAX_YEARS = 10_000  # longer intervals name no time a store can hold (timestamps end in the year 9999)


def checked(interval: ast.Interval) -> ast.Interval:
    """The interval, or an error pointing at it when it is longer than MAX_YEARS."""
    months = interval.amount * (12 if interval.unit == "year" else 1) if interval.unit in ("month", "year") else None
    seconds = interval.amount * SECONDS[interval.unit] if months is None else None
    too_long = abs(months) > MAX_YEARS * 12 if months is not None else abs(seconds) > MAX_YEARS * 366 * 86_400
    if too_long:
        raise ObsqlError("input", f"{interval.amount} {interval.unit}s is longer than obsql reads "
                                  f"({MAX_YEARS:,} years)", **position(interval))
    return interval


def resolve_time(point: ast.TimePoint, now: datetime) -> datetime:
    """The UTC instant a time point names."""
    if point.kind == "absolute":
        return point.at
    if point.kind == "now":
        return now
    return minus(now, point.ago)


def minus(moment: datetime, interval: ast.Interval) -> datetime:
    """`moment` minus an interval; months and years move on the calendar (Mar 31 - 1 month = Feb 29)."""
    checked(interval)
    try:
        if interval.unit in _FIXED_UNITS:
            return moment - _FIXED_UNITS[interval.unit] * interval.amount
        months = int(interval.amount * (12 if interval.unit == "year" else 1))
        index = moment.year * 12 + moment.month - 1 - months
        year, month = divmod(index, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    except (OverflowError, ValueError):
        raise ObsqlError("input", f"{interval.amount} {interval.unit}s from {moment:%Y-%m-%d} is outside the years "
                                  "1 to 9999", **position(interval)) from None


def time_filter(w: "SqlWriter", time: ast.TimeRange | None, column: str = '"start_time"',
                date_column: str | None = '"date"') -> list[str]:
    """Conditions for a time range on `column`; the same bounds on the partition `date_column` let DuckDB skip
    whole directories (None where the rows have no partition date at hand)."""
    if time is None:
        return []
    conditions = []
    if time.start is not None:
        start = w.param(resolve_time(time.start, w.now))
        conditions.append(f"{column} >= CAST({start} AS TIMESTAMPTZ)")
        conditions += [f"{date_column} >= CAST({start} AS DATE)"] if date_column else []
    if time.end is not None:
        end = w.param(resolve_time(time.end, w.now))
        conditions.append(f"{column} < CAST({end} AS TIMESTAMPTZ)")
        conditions += [f"{date_column} <= CAST({end} AS DATE)"] if date_column else []
    return conditions
