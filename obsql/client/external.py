"""Runs that happened elsewhere (OpenLineage events another tool sent): logged like any run, with what they bring.

A run logged here keeps the id, start and end it came with (no clock is read) and the code text it names; its
inputs, outputs, metrics, checks and column summaries are given rather than measured. Dependencies and staleness are
worked out by the logger as for every other run, so lineage connects imported runs with logged ones.
"""
from __future__ import annotations

from datetime import datetime

from obsql.client.clock import utc
from obsql.client.context import source_hash
from obsql.client.dependencies import Dependency
from obsql.client.logger import ComponentInfo, RunLogger
from obsql.client.record import RunRecord


def external_record(logger: RunLogger, component: str, run_id: str, start: datetime, end: datetime) -> RunRecord:
    """A record of a run of `component` that ran elsewhere, with its own id and times (naive times are UTC)."""
    if not run_id:
        raise ValueError("a run from elsewhere needs its run id")
    start, end = utc(start), utc(end)
    if end < start:
        raise ValueError(f"run {run_id} ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    record = RunRecord(component=component, start=start, frames=logger.frames, end=end)
    record.run_id = run_id
    return record


def log_external(logger: RunLogger, record: RunRecord, info: ComponentInfo | None = None) -> list[Dependency]:
    """Store a run made by `external_record`; its code's hash is that of its text (as a logged function's is) unless
    given. Returns its dependencies, as `RunLogger.log` does."""
    if record.code and not record.code_hash:
        record.code_hash = source_hash(record.code)
    return logger.log(record, info)
