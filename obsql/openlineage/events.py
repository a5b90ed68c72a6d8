"""OpenLineage RunEvents read and checked: JSON in, `RunEvent` dataclasses out, or an `ObsqlError` naming the field.

Everything obsql reads from an event is checked here, the facets it maps included, so an import that passes this
step cannot fail half-way through writing. Facets obsql does not read are kept as they are (objects, unchecked).
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from obsql.errors import ObsqlError

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER")
TERMINAL = ("COMPLETE", "FAIL", "ABORT")


@dataclass(frozen=True)
class Dataset:
    """An input or output: its namespace and name, and its facets (dataset facets and input or output facets in one
    dict: obsql reads `dataQualityMetrics` from either)."""

    namespace: str
    name: str
    facets: dict[str, dict]


@dataclass(frozen=True)
class RunEvent:
    """One RunEvent, checked. `line` is where it was read (a file's line, a list's position from 1)."""

    event_type: str
    event_time: datetime
    run_id: str  # the UUID in its canonical lower-case form
    namespace: str  # the job's
    job: str
    run_facets: dict[str, dict]
    job_facets: dict[str, dict]
    inputs: tuple[Dataset, ...]
    outputs: tuple[Dataset, ...]
    producer: str
    line: int | None = None


class _Invalid(Exception):
    """A field that is wrong, by its path in the event (`run.runId`)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path} {problem}")


# What obsql reads of each facet it maps, by where the facet sits. A spec: a type (str, bool, "int", "number",
# "time", "uuid"), a dict of field specs (a name ending in ! is required), ("list", spec) or ("map", spec).
_NUMBER_MAP = ("map", "number")
_COLUMN_METRICS = {"nullCount": "int", "distinctCount": "int", "sum": "number", "count": "number",
                   "min": "number", "max": "number", "quantiles": _NUMBER_MAP}
_RUN_FACETS = {
    "errorMessage": {"message!": str, "programmingLanguage": str, "stackTrace": str},
    "nominalTime": {"nominalStartTime!": "time", "nominalEndTime": "time"},
    "parent": {"run!": {"runId!": "uuid"}, "job!": {"namespace!": str, "name!": str}},
    "obsql": {"metrics": _NUMBER_MAP, "notes": str, "host": str, "codeHash": str, "gitCommit": str,
              "checks": ("list", {"name!": str, "phase!": str, "passed!": bool, "value": "number", "message": str})},
}
_JOB_FACETS = {
    "sourceCode": {"language": str, "sourceCode!": str},
    "sourceCodeLocation": {"type": str, "url": str, "path": str, "version": str},
    "documentation": {"description!": str},
    "ownership": {"owners": ("list", {"name!": str, "type": str})},
    "obsql": {"stalenessDays": "number", "static": bool},
}
_DATASET_FACETS = {
    "schema": {"fields": ("list", {"name!": str, "type": str})},
    "dataQualityMetrics": {"rowCount": "int", "bytes": "int", "columnMetrics": ("map", _COLUMN_METRICS)},
    "outputStatistics": {"rowCount": "int", "size": "int", "fileCount": "int"},
    "obsql": {"type": str, "value": "number", "contentHash": str,
              "columns": ("map", {"kind": str, "mean": "number", "std": "number",
                                  "topValues": ("list", {"value!": str, "count!": "int"})})},
}


def parse_lines(text: str) -> list[RunEvent]:
    """Every event of a JSON-lines text (one event per line; blank lines are skipped), all checked before any is
    returned; the first bad line raises, naming its number."""
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ObsqlError("input", f"not JSON: {exc.msg} (at character {exc.pos + 1})", line=number) from None
        events.append(parse_event(value, number))
    return events


def parse_events(values: Iterable[Any]) -> list[RunEvent]:
    """Events given as decoded JSON (dicts), each checked; an error names the event's position from 1 as its line."""
    return [parse_event(value, number) for number, value in enumerate(values, 1)]


def parse_event(value: Any, line: int | None = None) -> RunEvent:
    """One decoded RunEvent, checked; an `ObsqlError` of kind input names the field that is wrong."""
    try:
        return _event(value, line)
    except _Invalid as exc:
        raise ObsqlError("input", str(exc), line=line) from None


def _event(value: Any, line: int | None) -> RunEvent:
    event = _object(value, "the event")
    event_type = _required(event, "eventType", "eventType")
    if event_type not in EVENT_TYPES:
        raise _Invalid("eventType", f"must be one of {', '.join(EVENT_TYPES)}, not {event_type!r}")
    run, job = _object(event.get("run"), "run"), _object(event.get("job"), "job")
    for optional in ("producer", "schemaURL"):
        _typed(event.get(optional), str, optional)
    return RunEvent(
        event_type=event_type,
        event_time=_time(_required(event, "eventTime", "eventTime"), "eventTime"),
        run_id=_uuid(_required(run, "runId", "run.runId"), "run.runId"),
        namespace=_required(job, "namespace", "job.namespace"),
        job=_required(job, "name", "job.name"),
        run_facets=_facets(run.get("facets"), "run.facets", _RUN_FACETS),
        job_facets=_facets(job.get("facets"), "job.facets", _JOB_FACETS),
        inputs=_datasets(event.get("inputs"), "inputs", "inputFacets"),
        outputs=_datasets(event.get("outputs"), "outputs", "outputFacets"),
        producer=event.get("producer") or "",
        line=line,
    )


def _datasets(value: Any, path: str, own_facets: str) -> tuple[Dataset, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(path, f"must be a list of datasets, not {_kind(value)}")
    datasets = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        dataset = _object(item, where)
        facets = _facets(dataset.get("facets"), f"{where}.facets", _DATASET_FACETS)
        facets.update(_facets(dataset.get(own_facets), f"{where}.{own_facets}", _DATASET_FACETS))
        datasets.append(Dataset(_required(dataset, "namespace", f"{where}.namespace"),
                                _required(dataset, "name", f"{where}.name"), facets))
    return tuple(datasets)


def _facets(value: Any, path: str, known: dict[str, dict]) -> dict[str, dict]:
    if value is None:
        return {}
    facets = _object(value, path)
    for name, facet in facets.items():
        _check(facet, known.get(name, {}), f"{path}.{name}")
    return dict(facets)


def _check(value: Any, spec: Any, path: str) -> None:
    """Raise `_Invalid` when `value` does not have the shape `spec` gives (see the specs above); None is absent."""
    if isinstance(spec, dict):
        fields = _object(value, path)
        for key, inner in spec.items():
            name = key.rstrip("!")
            if key.endswith("!") and fields.get(name) is None:
                raise _Invalid(f"{path}.{name}", "is missing")
            if fields.get(name) is not None:
                _check(fields[name], inner, f"{path}.{name}")
    elif isinstance(spec, tuple):
        container, inner = spec
        if container == "list":
            if not isinstance(value, list):
                raise _Invalid(path, f"must be a list, not {_kind(value)}")
            for i, item in enumerate(value):
                _check(item, inner, f"{path}[{i}]")
        else:
            for key, item in _object(value, path).items():
                if item is not None:
                    _check(item, inner, f"{path}.{key}")
    elif spec == "time":
        _time(value, path)
    elif spec == "uuid":
        _uuid(value, path)
    else:
        _typed(value, spec, path)


def _typed(value: Any, spec: Any, path: str) -> None:
    if value is None:
        return
    if spec == "int":
        ok, wanted = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif spec == "number":
        ok, wanted = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    else:
        ok, wanted = isinstance(value, spec), {str: "a string", bool: "true or false"}[spec]
    if not ok:
        raise _Invalid(path, f"must be {wanted}, not {_kind(value)}")


def _object(value: Any, path: str) -> dict:
    if value is None:
        raise _Invalid(path, "is missing")
    if not isinstance(value, dict):
        raise _Invalid(path, f"must be a JSON object, not {_kind(value)}")
    return value


def _required(fields: dict, name: str, path: str) -> str:
    value = fields.get(name)
    if value is None or value == "":
        raise _Invalid(path, "is missing")
    _typed(value, str, path)
    return value


def _uuid(value: Any, path: str) -> str:
    _typed(value, str, path)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _Invalid(path, f"must be a UUID (like 0190b5a2-7c1e-7d3f-9a4b-2c8e1f0a6d5b), not {value!r}") from None


def parse_time(text: str) -> datetime:
    """A date and time an event gave (already checked), as an aware datetime in UTC."""
    return _time(text, "time")


_TIME = re.compile(r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?::\d\d)?)(?:[.,](\d+))?([Zz]|[+-]\d\d:?\d\d)?")


def _time(value: Any, path: str) -> datetime:
    """An RFC 3339 date and time (fractions of any length, Z or an offset; none is UTC) as an aware datetime."""
    _typed(value, str, path)
    match = _TIME.fullmatch(value)
    moment = None
    if match:
        whole, fraction, zone = match.groups()
        zone = "+00:00" if zone in (None, "Z", "z") else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
        try:
            moment = datetime.fromisoformat(f"{whole}.{(fraction or '0')[:6].ljust(6, '0')}{zone}")
        except ValueError:
            moment = None
    if moment is None:
        raise _Invalid(path, f"must be a date and time like 2024-05-01T12:00:00.000Z, not {value!r}")
    return moment.astimezone(timezone.utc)


def _kind(value: Any) -> str:
    """A JSON value's kind, as a message names it."""
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)
