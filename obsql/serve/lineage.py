"""`POST /api/v1/lineage`: OpenLineage RunEvents as clients send them (one event, or a list), logged as runs.

Everything is checked before anything is written: the body (JSON, gzip-ed when the client says so), every event
(`openlineage.events`: a bad field is a 400 naming it), and the pairing of each event with the waiting events of its
run (a runId seen with two jobs is a 400). Runs whose terminal event is here are logged by the importer, with the
START and RUNNING events that waited for them; the events of runs that have not ended are kept (`pending`).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from obsql.api import Store
from obsql.openlineage.events import RunEvent, parse_events
from obsql.openlineage.importer import import_events
from obsql.openlineage.pairing import pair_events
from obsql.serve.failures import Refused
from obsql.openlineage.pending import PendingEvents

MAX_BODY = 16 * 1024 * 1024  # bytes of events one request may carry, once decompressed


@dataclass(frozen=True)
class Received:
    """What a request did: the runs it logged (obsql ids), those the store had already, and the runIds that wait."""

    logged: list[str]
    already: list[str]
    pending: list[str]

    def payload(self) -> dict[str, list[str]]:
        return {"logged": self.logged, "already": self.already, "pending": self.pending}


def decoded_events(body: bytes, encoding: str | None) -> list[dict[str, Any]]:
    """The events a request body holds (a RunEvent object or a list of them), refused with a 400 naming why."""
    if (encoding or "").strip().lower() == "gzip":
        body = _gunzipped(body)
    if len(body) > MAX_BODY:
        raise too_large(len(body))
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, f"the body is not JSON: {exc}",
                      suggestion="send one OpenLineage RunEvent as a JSON object, or a JSON list of them") from None
    events = value if isinstance(value, list) else [value]
    if not events:
        raise Refused(400, "the body is an empty list: no event to log")
    return events


def too_large(size: int) -> Refused:
    return Refused(413, f"the body holds {size:,} bytes or more; at most {MAX_BODY:,} are taken in one request",
                   suggestion="send the events in several requests")


def _gunzipped(body: bytes) -> bytes:
    """A gzip-ed body inflated, never past MAX_BODY (a small body may inflate to gigabytes)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        inflated = inflater.decompress(body, MAX_BODY + 1)
    except zlib.error as exc:
        raise Refused(400, f"the body says it is gzip-ed but is not: {exc}") from None
    if len(inflated) > MAX_BODY or inflater.unconsumed_tail:
        raise too_large(MAX_BODY + 1)
    return inflated


def receive(store: Store, pending: PendingEvents, raw: list[dict[str, Any]]) -> Received:
    """Check the events, then log the runs they end and keep the events of runs still going (in the writer
    thread: one request at a time)."""
    events = parse_events(raw)  # an error names the event by its position in the list, as `line`
    with pending.lock():
        run_ids = list(dict.fromkeys(event.run_id for event in events))
        waited = parse_events(pending.events_of(run_ids))
        paired = pair_events([*waited, *events])  # only to check: a runId is one job's
        ended = {run.run_id for run in paired.runs}
        report = import_events([e for e in [*waited, *events] if e.run_id in ended], store.logger, store.engine)
        store.flush()
        going = _raw_by_run(raw, events, ended)
        pending.add(going)
        pending.drop(ended)
    return Received(report.logged, report.already, list(going))


def _raw_by_run(raw: list[dict[str, Any]], events: list[RunEvent], ended: set[str]) -> dict[str, list[dict]]:
    """The events (as received) of runs that have not ended, by runId."""
    going: dict[str, list[dict]] = {}
    for value, event in zip(raw, events):
        if event.run_id not in ended:
            going.setdefault(event.run_id, []).append(value)
    return going

