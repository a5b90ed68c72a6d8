"""OpenLineage events into the store: checked, paired into runs, and logged through the client like any run.

Every event is checked before anything is written, so a bad line leaves the store as it was. Runs are logged in
start order, so each run's dependencies (the latest run that wrote each input before it started) and staleness are
worked out as they were for the runs' own logging. A run the store already holds (the same id: the file imported
twice) is not logged again.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from obsql.client.external import external_record, log_external
from obsql.client.logger import DEFAULT_STALENESS_DAYS, ComponentInfo, RunLogger
from obsql.client.pointers import pointer_type
from obsql.client.record import CheckResult, RunRecord
from obsql.client.values import Pointer
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.openlineage.events import Dataset, RunEvent, parse_events, parse_lines
from obsql.openlineage.facets import summaries_of
from obsql.openlineage.naming import obsql_name, run_id_of
from obsql.openlineage.pairing import LineageRun, pair_events

_OUTPUT_STATISTICS = {"rowCount": "output_rows", "size": "output_bytes", "fileCount": "output_files"}


@dataclass(frozen=True)
class ImportReport:
    """What an import did: runs logged, runs the store already had, and runs left out because they had not ended."""

    logged: list[str]  # obsql run ids
    already: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # a sentence per run left out

    def describe(self) -> list[str]:
        lines = [f"imported {len(self.logged)} run(s)"]
        if self.already:
            lines.append(f"{len(self.already)} run(s) the store already had were left as they were")
        return lines


def read_events(source: str | Path | Iterable[dict[str, Any]]) -> list[RunEvent]:
    """The checked events of a JSON-lines file (`-` for standard input) or of decoded events (dicts)."""
    if isinstance(source, (str, Path)):
        return parse_lines(_text_of(Path(source)))
    return parse_events(source)


def _text_of(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ObsqlError("input", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def import_events(events: list[RunEvent], logger: RunLogger, engine: Engine) -> ImportReport:
    """Log the finished runs the events make (see `pairing`), in start order; the report names each unfinished one
    (left out: its terminal event may come later)."""
    paired = pair_events(events)
    unfinished = _unfinished(paired.pending)
    runs = sorted(paired.runs, key=lambda run: (run.start, run_id_of(run.run_id)))
    records = [_record(logger, run) for run in runs]  # every run made before any is logged
    already = _stored(engine, [record.run_id for record, _ in records])
    logged = []
    for record, info in records:
        if record.run_id not in already:
            log_external(logger, record, info)
            logged.append(record.run_id)
    return ImportReport(logged, sorted(already), unfinished)


def _unfinished(pending: list[RunEvent]) -> list[str]:
    seen: dict[str, RunEvent] = {}
    for event in pending:
        seen.setdefault(event.run_id, event)
    return [f"run {run_id} of {obsql_name(e.namespace, e.job)} (line {e.line}) has no COMPLETE, FAIL or ABORT "
            f"event: not imported until one comes" for run_id, e in seen.items()]


def _stored(engine: Engine, run_ids: list[str]) -> set[str]:
    if not run_ids:
        return set()
    engine.refresh()
    found = engine.query("SELECT DISTINCT run_id FROM runs WHERE list_contains($ids, run_id)", {"ids": run_ids})
    return {run_id for (run_id,) in found}


def _record(logger: RunLogger, run: LineageRun) -> tuple[RunRecord, ComponentInfo | None]:
    """The run as the client logs it, and its component's metadata when the job's facets give any."""
    try:
        record = external_record(logger, run.component, run_id_of(run.run_id), run.start, max(run.start, run.end))
    except ValueError as exc:
        raise ObsqlError("input", str(exc)) from None
    own = run.run_facets.get("obsql") or {}
    record.inputs = [_pointer(name, dataset) for name, dataset in run.inputs.items()]
    record.outputs = [_pointer(name, dataset) for name, dataset in run.outputs.items()]
    for name, dataset in [*run.inputs.items(), *run.outputs.items()]:
        record.summaries.setdefault(name, summaries_of(dataset.facets))
    record.status = "ok" if run.event_type == "COMPLETE" else "failed"
    record.error = None if record.status == "ok" else _error(run)
    record.metrics = dict(own["metrics"]) if "metrics" in own else _output_statistics(run.outputs.values())
    record.checks = [CheckResult(c["name"], c["phase"], c["passed"], c.get("value"), c.get("message") or "",
                                 record.end) for c in own.get("checks") or []]
    code, location = run.job_facets.get("sourceCode") or {}, run.job_facets.get("sourceCodeLocation") or {}
    record.code, record.code_hash = code.get("sourceCode"), own.get("codeHash")
    record.git_commit, record.host = location.get("version") or own.get("gitCommit"), own.get("host")
    record.notes = own["notes"] if "notes" in own else _notes(run)
    return record, _component_info(run)


def _pointer(name: str, dataset: Dataset) -> Pointer:
    own = dataset.facets.get("obsql") or {}
    return Pointer(name, own.get("type") or pointer_type(name), own.get("value"), own.get("contentHash"))


def _error(run: LineageRun) -> str:
    error = run.run_facets.get("errorMessage")
    if error:
        return error.get("stackTrace") or error["message"]
    return "aborted (an OpenLineage ABORT event)" if run.event_type == "ABORT" else \
        "failed (an OpenLineage FAIL event with no errorMessage facet)"


def _output_statistics(outputs: Iterable[Dataset]) -> dict[str, float]:
    """output_rows, output_bytes and output_files: the outputStatistics of the run's outputs, added up."""
    metrics: dict[str, float] = {}
    for dataset in outputs:
        for key, value in (dataset.facets.get("outputStatistics") or {}).items():
            if key in _OUTPUT_STATISTICS and value is not None:
                metrics[_OUTPUT_STATISTICS[key]] = metrics.get(_OUTPUT_STATISTICS[key], 0.0) + float(value)
    return metrics


def _notes(run: LineageRun) -> str:
    """What a run's facets say that has no column of its own: its parent run, and where its code lives."""
    lines = []
    parent = run.run_facets.get("parent")
    if parent:
        job = obsql_name(parent["job"]["namespace"], parent["job"]["name"])
        lines.append(f"parent: run {run_id_of(parent['run']['runId'])} of {job}")
    location = run.job_facets.get("sourceCodeLocation") or {}
    where = " ".join(str(location[key]) for key in ("url", "path") if location.get(key))
    if where:
        lines.append(f"code at {where}")
    return "\n".join(lines)


def _component_info(run: LineageRun) -> ComponentInfo | None:
    facets = run.job_facets
    if not any(name in facets for name in ("documentation", "ownership", "obsql")):
        return None
    owners = (facets.get("ownership") or {}).get("owners") or []
    own = facets.get("obsql") or {}
    return ComponentInfo(run.component, description=(facets.get("documentation") or {}).get("description", ""),
                         owner=owners[0]["name"] if owners else "",
                         staleness_days=float(own.get("stalenessDays", DEFAULT_STALENESS_DAYS)),
                         static=bool(own.get("static", False)))
