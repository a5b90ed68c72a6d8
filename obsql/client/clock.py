"""The time runs are stamped with: the wall clock, or a simulated clock for backfills, replays and the demo.

`with obsql.clock(datetime(2020, 3, 1)):` makes every run logged inside the block (decorated or not) start at
that simulated instant, with time passing at wall-clock speed from there.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Iterator

_offset: ContextVar[timedelta] = ContextVar("obsql_clock_offset", default=timedelta(0))


def utc(moment: datetime | None) -> datetime | None:
    """A datetime in UTC; naive datetimes are taken to be UTC already."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def micros(moment: datetime) -> int:
    """UTC microseconds since the epoch, as the store keeps times."""
    return int(moment.timestamp() * 1_000_000)


def now() -> datetime:
    """The current instant in UTC, on the simulated clock when one is set."""
    return datetime.now(timezone.utc) + _offset.get()


@contextmanager
def clock(start: datetime) -> Iterator[None]:
    """Inside the block, time starts at `start` and runs at wall-clock speed."""
    token = _offset.set(utc(start) - datetime.now(timezone.utc))
    try:
        yield
    finally:
        _offset.reset(token)
