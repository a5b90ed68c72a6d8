"""The store's runs as OpenLineage RunEvents: a START and a COMPLETE (or FAIL) per run, read through the engine.

START carries the job (its code, documentation, owner) and the names of the inputs and outputs; COMPLETE or FAIL
carries the run's facets (errorMessage; obsql's own: metrics, checks, notes, host, code hash, git commit) and every
dataset's facets (schema, dataQualityMetrics, outputStatistics; obsql's own: kind, mean, std, top values, type,
value, content hash). Importing them gives the same runs back (see `importer`).
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Iterator, TextIO

from obsql.engine.session import Engine
from obsql.openlineage.facets import PRODUCER, facet, summary_facets
from obsql.openlineage.naming import openlineage_name, uuid_of

SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_RUNS = ("SELECT run_id, component, start_time, end_time, status, error, git_commit, code_hash, host, notes "
         "FROM runs WHERE start_time >= $since ORDER BY start_time, run_id")
_IO = "SELECT run_id, direction, pointer, pointer_type, value, content_hash FROM io WHERE start_time >= $since"
_METRICS = "SELECT run_id, name, value FROM metrics WHERE start_time >= $since"
_CHECKS = "SELECT run_id, name, phase, passed, value, message FROM checks WHERE start_time >= $since ORDER BY ts"
_SUMMARIES = ('SELECT run_id, pointer, column_name, dtype, kind, count, nulls, min, max, mean, std, quantiles, '
              '"distinct", top_values FROM summaries WHERE start_time >= $since')
_CODE = "SELECT code_hash, any_value(source) FROM code GROUP BY code_hash"
_COMPONENTS = ("SELECT name, description, owner, staleness_days, static FROM components "
               "QUALIFY row_number() OVER (PARTITION BY name ORDER BY ts DESC) = 1")


def export_events(engine: Engine, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """START and COMPLETE (or FAIL) events of every run that started at or after `since` (all runs when None), in
    start order."""
    since = {"since": since or _EPOCH}
    by_run = _by_run(engine, since)
    code = dict(engine.query(_CODE))
    components = {row[0]: row for row in engine.query(_COMPONENTS)}
    for run in engine.query(_RUNS, since):
        run_id, component = run[0], run[1]
        job = _job(component, components.get(component), code.get(run[7]) or "")
        yield _start(run, job, by_run["io"].get(run_id, []))
        yield _end(run, job, by_run)


def write_events(events: Iterator[dict[str, Any]], out: TextIO) -> int:
    """Write events one JSON object a line; returns how many."""
    count = 0
    for event in events:
        out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def _by_run(engine: Engine, since: dict) -> dict[str, dict[str, list[tuple]]]:
    """The rows of io, metrics, checks and summaries of the runs exported, by table and run."""
    tables: dict[str, dict[str, list[tuple]]] = {}
    for table, sql in (("io", _IO), ("metrics", _METRICS), ("checks", _CHECKS), ("summaries", _SUMMARIES)):
        rows: dict[str, list[tuple]] = defaultdict(list)
        for row in engine.query(sql, since):
            rows[row[0]].append(row[1:])
        tables[table] = rows
    return tables


def _job(component: str, info: tuple | None, source: str) -> dict[str, Any]:
    namespace, name = openlineage_name(component)
    facets: dict[str, Any] = {}
    if source:
        facets["sourceCode"] = facet("sourceCode", {"language": "python", "sourceCode": source})
    if info is not None:
        _, description, owner, staleness_days, static = info
        if description:
            facets["documentation"] = facet("documentation", {"description": description})
        if owner:
            facets["ownership"] = facet("ownership", {"owners": [{"name": owner}]})
        facets["obsql"] = facet("obsql", {"stalenessDays": staleness_days, "static": bool(static)})
    return {"namespace": namespace, "name": name, "facets": facets}


def _start(run: tuple, job: dict[str, Any], io: list[tuple]) -> dict[str, Any]:
    inputs = [_dataset(pointer) for direction, pointer, *_ in io if direction == "input"]
    outputs = [_dataset(pointer) for direction, pointer, *_ in io if direction == "output"]
    return _event("START", run[2], run[0], {}, job, inputs, outputs)


def _end(run: tuple, job: dict[str, Any], by_run: dict[str, dict[str, list[tuple]]]) -> dict[str, Any]:
    run_id, _, _, end, status, error, git_commit, code_hash, host, notes = run
    summaries = defaultdict(list)
    for pointer, *summary in by_run["summaries"].get(run_id, []):
        summaries[pointer].append(_summary(summary))
    inputs, outputs = [], []
    for direction, pointer, pointer_type, value, content_hash in by_run["io"].get(run_id, []):
        dataset = _dataset(pointer, _dataset_facets(summaries.get(pointer, []), pointer_type, value, content_hash))
        if direction == "output" and summaries.get(pointer):
            rows = dataset["facets"]["dataQualityMetrics"].get("rowCount")
            dataset["outputFacets"] = {"outputStatistics": facet("outputStatistics", {"rowCount": rows})}
        (inputs if direction == "input" else outputs).append(dataset)
    checks = [_check(row) for row in by_run["checks"].get(run_id, [])]
    facets = {"obsql": facet("obsql", {"metrics": dict(by_run["metrics"].get(run_id, [])), "notes": notes or "",
                                       "host": host, "codeHash": code_hash, "gitCommit": git_commit,
                                       "checks": checks})}
    if status != "ok":
        facets["errorMessage"] = facet("errorMessage", _error_fields(error or "failed"))
    job = {**job, "facets": {}}  # the job's facets went with START
    return _event("COMPLETE" if status == "ok" else "FAIL", end, run_id, facets, job, inputs, outputs)


def _event(event_type: str, moment: datetime, run_id: str, run_facets: dict, job: dict, inputs: list,
           outputs: list) -> dict[str, Any]:
    return {"eventType": event_type, "eventTime": _time(moment), "run": {"runId": uuid_of(run_id),
                                                                         "facets": run_facets},
            "job": job, "inputs": inputs, "outputs": outputs, "producer": PRODUCER, "schemaURL": SCHEMA_URL}


def _dataset(pointer: str, facets: dict | None = None) -> dict[str, Any]:
    namespace, name = openlineage_name(pointer)
    return {"namespace": namespace, "name": name, "facets": facets or {}}


def _dataset_facets(summaries: list[dict], pointer_type: str, value: float | None,
                    content_hash: str | None) -> dict[str, Any]:
    facets = summary_facets(summaries)
    own = {key: item for key, item in (("type", pointer_type), ("value", value), ("contentHash", content_hash))
           if item is not None}
    facets["obsql"] = {**facets.get("obsql", facet("obsql", {})), **own}
    return facets


_SUMMARY_KEYS = ("column", "dtype", "kind", "count", "nulls", "min", "max", "mean", "std", "quantiles", "distinct",
                 "top_values")


def _summary(row: list) -> dict:
    summary = dict(zip(_SUMMARY_KEYS, row))
    summary["top_values"] = [(top["value"], top["count"]) for top in summary["top_values"] or []]
    return summary


def _check(row: tuple) -> dict[str, Any]:
    name, phase, passed, value, message = row
    return {key: item for key, item in (("name", name), ("phase", phase), ("passed", bool(passed)),
                                        ("value", value), ("message", message)) if item is not None}


def _error_fields(error: str) -> dict[str, str]:
    """errorMessage's fields: the error's last line as the message (a traceback's ends with the exception), the
    whole text as the stack trace."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return {"message": lines[-1] if lines else error, "programmingLanguage": "python", "stackTrace": error}


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
