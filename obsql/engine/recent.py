"""`recent`: the newest runs, read from the newest days first.

The runs table is partitioned by the day a run started, so the n newest runs lie in the newest partitions: when the
partitions from day d on hold n runs, no older partition can hold a newer one. The search reads the newest day, then
the newest two, four, ... days, and the whole table only when the store has fewer than n runs.
"""
from __future__ import annotations

from datetime import date

from obsql.engine.walks import Steps, Tabular


def recent(steps: Steps, limit: int) -> Tabular:
    """The `limit` newest runs, newest first."""
    days = sorted(steps.partition_dates("runs"), reverse=True)
    reach = 1
    while True:
        since = days[reach - 1] if reach <= len(days) else date.min
        found = (steps.tabular("newest", since=since) if since == date.min else
                 steps.tabular_in_partitions("newest", "runs", "date", [d.isoformat() for d in days[:reach]],
                                             since=since))
        if len(found.rows) >= limit or since == date.min:
            return found
        reach *= 2
