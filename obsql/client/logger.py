"""Turning a finished run into rows of the store's tables, with its dependencies and staleness worked out."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from obsql.client.dependencies import Dependency, ProducerCache, Production
from obsql.client.background import BACKGROUND
from obsql.client.clock import micros, now
from obsql.client.record import CheckResult, RunRecord
from obsql.client.values import FrameNames, Pointer, sample_columns
from obsql.storage.ids import new_id
from obsql.storage.store import ParquetStore
from obsql.storage.writer import Rows

DEFAULT_STALENESS_DAYS = 30.0
LARGE_FRAME_ROWS = 200_000  # frames past this are summarised and sampled in the background, after the call returns


@dataclass(frozen=True)
class ComponentInfo:
    """The static metadata of a component, as stored in the `components` table."""

    name: str
    description: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()
    staleness_days: float = DEFAULT_STALENESS_DAYS
    slas: tuple[str, ...] = ()  # as written, e.g. "accuracy >= 0.9"
    static: bool = False  # what it writes is long-lived: reading it is never stale by age
    correct: str = "binary(threshold=0.5)"  # when a prediction counts as right (monitor.correctness)


class RunLogger:
    """Logs runs into one store for this process."""

    def __init__(self, store: ParquetStore, sample_rows: int = 100, refresh_seconds: float = 5.0) -> None:
        self.store = store
        self.sample_rows = sample_rows
        self.frames = FrameNames()
        self.producers = ProducerCache(store.root, store.writer.segment, refresh_seconds, publish=store.writer.flush)
        self._components: dict[str, ComponentInfo] = {}
        self._code_hashes: set[str] = set()

    def new_record(self, component: str, start: datetime | None = None) -> RunRecord:
        record = RunRecord(component=component, start=start or now(), frames=self.frames)
        record.run_id = new_id(record.start)
        return record

    def declare(self, info: ComponentInfo) -> None:
        """Store a component's metadata before (or without) any run of it."""
        rows = self._component_rows(info, now())
        if rows:
            self.store.writer.append(rows)

    def log(self, record: RunRecord, info: ComponentInfo | None = None, *, from_inputs: bool = True,
            upstream: Sequence[Dependency] = ()) -> list[Dependency]:
        """Store a finished run; returns its dependencies (with staleness reasons): those its inputs give (unless
        `from_inputs` is False) and any named `upstream`."""
        info = info or self._components.get(record.component) or ComponentInfo(record.component)
        record.end = record.end or now()
        start, end = micros(record.start), micros(record.end)
        pointers = [p.name for p in record.inputs] if from_inputs else []
        deps = self.producers.dependencies(pointers, start, record.run_id, info.staleness_days) + list(upstream)
        batch: list[Rows] = []
        batch += self._component_rows(info, record.start)
        batch += self._code_rows(record)
        key = (record.component, record.start.date().isoformat())
        batch.append(("runs", key, _run_columns(record, start, end, deps)))
        batch.append(("io", key, _io_columns(record, start, end)))
        if deps:
            batch.append(("deps", key, _deps_columns(record, start, deps)))
        if record.checks:
            batch.append(("checks", key, check_columns(record, record.checks)))
        if record.metrics:
            batch.append(("metrics", key, _metric_columns(record.run_id, start, record.metrics)))
        frames = _frame_pointers(record)
        large = [pointer for pointer in frames if pointer.frame.height > LARGE_FRAME_ROWS]
        batch += self._frame_rows([p for p in frames if p.frame.height <= LARGE_FRAME_ROWS], record, key, start)
        batch += [("summaries", key, _summary_columns(record.run_id, start, pointer, summaries))
                  for pointer, summaries in record.summaries.items() if summaries]
        batch += _alert_rows(record.alerts, end)
        self.store.writer.append(batch)
        if large:  # summarising and sampling millions of rows would hold the call up: done after it returns
            BACKGROUND.start(lambda: self.store.writer.append(self._frame_rows(large, record, key, start)))
        self.producers.record_run(record.component, record.run_id, start)
        self.producers.record_outputs([p.name for p in record.outputs],
                                    Production(end, start, record.run_id, record.component))
        return deps

    def log_checks(self, record: RunRecord, checks: list[CheckResult], metrics: dict[str, float],
                   alerts: list | None = None) -> None:
        """Append trigger results that finished after their run was logged (background triggers)."""
        key = (record.component, record.start.date().isoformat())
        start = micros(record.start)
        batch: list[Rows] = []
        if checks:
            batch.append(("checks", key, check_columns(record, checks)))
        if metrics:
            batch.append(("metrics", key, _metric_columns(record.run_id, start, metrics)))
        batch += _alert_rows(alerts or [], micros(now()))
        if batch:
            self.store.writer.append(batch)

    def _component_rows(self, info: ComponentInfo, when: datetime) -> list[Rows]:
        known = self._components.get(info.name)
        if known is info or known == info:
            return []
        self._components[info.name] = info
        if info.static:
            self.producers.record_static(info.name)
        return [("components", (when.date().isoformat(),), {
            "name": [info.name], "description": [info.description], "owner": [info.owner],
            "tags": [list(info.tags)], "staleness_days": [info.staleness_days], "slas": [list(info.slas)],
            "ts": [micros(now())], "static": [info.static], "correct": [info.correct]})]

    def _code_rows(self, record: RunRecord) -> list[Rows]:
        if not record.code_hash or record.code_hash in self._code_hashes:
            return []
        self._code_hashes.add(record.code_hash)
        return [("code", (record.start.date().isoformat(),), {
            "code_hash": [record.code_hash], "source": [record.code or ""], "ts": [micros(record.start)]})]

    def _frame_rows(self, pointers: list[Pointer], record: RunRecord, key: tuple, start: int) -> list[Rows]:
        """The summaries and samples of the run's dataframes."""
        if not pointers:
            return []
        from obsql.monitor import summarize  # imported on first use: scipy is slow to import and rarely needed

        batch: list[Rows] = []
        for pointer in pointers:
            summaries = summarize(pointer.frame)
            if summaries:
                batch.append(("summaries", key, _summary_columns(record.run_id, start, pointer.name, summaries)))
            sample = sample_columns(pointer.frame, self.sample_rows)
            n = len(sample["row_index"])
            if n:
                sample.update(run_id=[record.run_id] * n, start_time=[start] * n, pointer=[pointer.name] * n)
                batch.append(("samples", key, sample))
        return batch


def _frame_pointers(record: RunRecord) -> list[Pointer]:
    seen, frames = set(), []
    for pointer in (*record.inputs, *record.outputs):
        if pointer.frame is not None and (pointer.name, pointer.content_hash) not in seen:
            seen.add((pointer.name, pointer.content_hash))
            frames.append(pointer)
    return frames


def _run_columns(record: RunRecord, start: int, end: int, deps: list[Dependency]) -> dict[str, list]:
    reasons = [reason for dep in deps for reason in dep.reasons]
    reasons += [f"check {c.name} failed ({c.phase}): {c.message}".rstrip(": ") for c in record.failed_checks]
    return {
        "run_id": [record.run_id], "start_time": [start], "end_time": [end], "status": [record.status],
        "error": [record.error], "git_commit": [record.git_commit],
        "code_hash": [record.code_hash], "host": [record.host], "pid": [os.getpid()],
        "notes": [record.notes], "stale": [bool(reasons)], "stale_reasons": [reasons],
    }


def _io_columns(record: RunRecord, start: int, end: int) -> dict[str, list]:
    pointers = [*record.inputs, *record.outputs]
    n = len(pointers)
    return {
        "run_id": [record.run_id] * n, "start_time": [start] * n, "end_time": [end] * n,
        "direction": ["input"] * len(record.inputs) + ["output"] * len(record.outputs),
        "pointer": [p.name for p in pointers], "pointer_type": [p.type for p in pointers],
        "value": [p.value for p in pointers], "content_hash": [p.content_hash for p in pointers],
    }


def _deps_columns(record: RunRecord, start: int, deps: list[Dependency]) -> dict[str, list]:
    n = len(deps)
    return {
        "run_id": [record.run_id] * n, "start_time": [start] * n, "pointer": [d.pointer for d in deps],
        "dep_run_id": [d.producer.run_id for d in deps], "dep_component": [d.producer.component for d in deps],
        "dep_start_time": [d.producer.start for d in deps], "dep_end_time": [d.producer.end for d in deps],
        "stale": [d.stale for d in deps], "reason": ["; ".join(d.reasons) or None for d in deps],
    }


def _alert_rows(alerts: list, ts: int) -> list[Rows]:
    if not alerts:
        return []
    day = datetime.fromtimestamp(ts / 1_000_000, tz=timezone.utc).date().isoformat()
    return [("alerts", (day,), {
        "component": [a.component for a in alerts], "run_id": [a.run_id for a in alerts], "ts": [ts] * len(alerts),
        "metric": [a.metric for a in alerts], "value": [a.value for a in alerts], "op": [a.sla.op for a in alerts],
        "bound": [a.sla.bound for a in alerts], "state": [a.state for a in alerts],
        "message": [a.message for a in alerts], "direction": [a.direction for a in alerts]})]


def _metric_columns(run_id: str, start: int, metrics: dict[str, float]) -> dict[str, list]:
    n = len(metrics)
    return {"run_id": [run_id] * n, "start_time": [start] * n, "name": list(metrics), "value": list(metrics.values())}


def check_columns(record: RunRecord, checks: list[CheckResult]) -> dict[str, list]:
    n = len(checks)
    return {
        "run_id": [record.run_id] * n, "start_time": [micros(record.start)] * n,
        "ts": [micros(c.ts or now()) for c in checks], "name": [c.name for c in checks],
        "phase": [c.phase for c in checks], "passed": [c.passed for c in checks],
        "value": [c.value for c in checks], "message": [c.message for c in checks],
    }


def _summary_columns(run_id: str, start: int, pointer: str, summaries: list[dict]) -> dict[str, list]:
    n = len(summaries)
    columns: dict[str, list] = {"run_id": [run_id] * n, "start_time": [start] * n, "pointer": [pointer] * n}
    columns["column_name"] = [s["column"] for s in summaries]
    for name in ("dtype", "kind", "count", "nulls", "min", "max", "mean", "std", "quantiles", "distinct"):
        columns[name] = [s.get(name) for s in summaries]
    columns["top_values"] = [[{"value": v, "count": c} for v, c in s.get("top_values") or []] for s in summaries]
    return columns
