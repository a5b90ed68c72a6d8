"""POST /api/v1/lineage: RunEvents as OpenLineage clients send them. A START waits on disk for its COMPLETE (across
a restart), a bad event is a 400 naming its field with nothing written, and a gzip-ed body is read."""
from __future__ import annotations

import gzip
import json
import os
import uuid
from pathlib import Path

import pytest

from obsql.engine.session import Engine
from obsql.openlineage.naming import run_id_of
from obsql.openlineage.pending import DIRECTORY, PendingEvents
from tests.serve.conftest import AUTH, client_of
from tests.serve.test_writes import written

PRODUCER = "https://example.com/bakery-airflow"


def event(kind: str, run_id: str, job: str, time: str, inputs=(), outputs=(), **run_facets) -> dict:
    """A RunEvent as the spec writes it."""
    return {"eventType": kind, "eventTime": time, "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id, "facets": run_facets}, "job": {"namespace": "bakery", "name": job},
            "inputs": [{"namespace": "s3://ovens", "name": name} for name in inputs],
            "outputs": [{"namespace": "s3://ovens", "name": name} for name in outputs]}


def new_run() -> str:
    return str(uuid.uuid4())


def pending_files(root: Path) -> list[str]:
    directory = root / DIRECTORY
    return sorted(p.name for p in directory.glob("*.jsonl")) if directory.is_dir() else []


def runs_of(root: Path, job: str) -> list[tuple]:
    return Engine.open(root).query("SELECT start_time, end_time, status, error FROM runs WHERE component = $c",
                                   {"c": f"bakery::{job}"})


def test_a_start_waits_for_its_complete(bakery, writer):
    run = new_run()
    started = writer.post("/api/v1/lineage", json=event("START", run, "proof", "2024-03-05T04:00:00Z",
                                                        inputs=["dough.parquet"]), headers=AUTH)
    assert started.status_code == 201 and started.json() == {"logged": [], "already": [], "pending": [run]}
    assert runs_of(bakery, "proof") == [] and pending_files(bakery) == [f"{run}.jsonl"]
    done = writer.post("/api/v1/lineage", json=event("COMPLETE", run, "proof", "2024-03-05T05:30:00Z",
                                                     outputs=["risen.parquet"]), headers=AUTH)
    assert done.json() == {"logged": [run_id_of(run)], "already": [], "pending": []}
    ((start, end, status, error),) = runs_of(bakery, "proof")
    assert (start.isoformat(), end.isoformat(), status, error) == (
        "2024-03-05T04:00:00+00:00", "2024-03-05T05:30:00+00:00", "ok", None)
    assert pending_files(bakery) == []
    trace = writer.get("/api/v1/trace", params={"pointer": "s3://ovens::risen.parquet"}).json()
    assert [row[1] for row in trace["rows"]] == ["bakery::proof"]


def test_a_waiting_start_survives_a_restart(bakery):
    run = new_run()
    with client_of(bakery, writes=True) as first:
        first.post("/api/v1/lineage", json=event("START", run, "bake", "2024-03-05T06:00:00Z"), headers=AUTH)
    with client_of(bakery, writes=True) as second:
        second.post("/api/v1/lineage", json=event("RUNNING", run, "bake", "2024-03-05T06:10:00Z"), headers=AUTH)
    with client_of(bakery, writes=True) as third:
        third.post("/api/v1/lineage", json=event("FAIL", run, "bake", "2024-03-05T06:20:00Z",
                                                 errorMessage={"message": "oven door open",
                                                               "programmingLanguage": "python"}), headers=AUTH)
    ((start, _, status, error),) = runs_of(bakery, "bake")
    assert start.isoformat() == "2024-03-05T06:00:00+00:00" and (status, error) == ("failed", "oven door open")


def test_a_list_of_events_and_a_repeated_one(bakery, writer):
    run = new_run()
    both = [event("START", run, "slice", "2024-03-05T07:00:00Z"), event("COMPLETE", run, "slice",
                                                                        "2024-03-05T07:05:00Z")]
    assert writer.post("/api/v1/lineage", json=both, headers=AUTH).json()["logged"] == [run_id_of(run)]
    again = writer.post("/api/v1/lineage", json=both[1], headers=AUTH).json()
    assert again == {"logged": [], "already": [run_id_of(run)], "pending": []}
    assert len(runs_of(bakery, "slice")) == 1


def test_a_gzip_body_as_the_client_compresses_it(bakery, writer):
    run = new_run()
    body = gzip.compress(json.dumps(event("COMPLETE", run, "wrap", "2024-03-05T08:00:00Z")).encode())
    response = writer.post("/api/v1/lineage", content=body,
                           headers={**AUTH, "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 201 and len(runs_of(bakery, "wrap")) == 1


GOOD = event("START", "0190b5a2-7c1e-7d3f-9a4b-2c8e1f0a6d5b", "proof", "2024-03-05T04:00:00Z")


@pytest.mark.parametrize("body, says", [
    ({**GOOD, "run": {"runId": "run-42"}}, "run.runId must be a UUID"),
    ({**GOOD, "eventType": "DONE"}, "eventType must be one of"),
    ({k: v for k, v in GOOD.items() if k != "eventTime"}, "eventTime is missing"),
    ({**GOOD, "eventTime": "yesterday"}, "eventTime must be a date and time"),
    ({**GOOD, "outputs": [{"namespace": "s3://ovens"}]}, "outputs[0].name is missing"),
    ([GOOD, {**GOOD, "job": {"namespace": "bakery"}}], "job.name is missing"),  # the good one is not kept either
    ([GOOD, {**GOOD, "eventType": "COMPLETE", "job": {"namespace": "bakery", "name": "other"}}],
     "a runId is one job's"),
    ([], "empty list"),
    ("not an event", "must be a JSON object"),
])
def test_an_invalid_event_is_400_naming_what_is_wrong_and_nothing_is_written(bakery, writer, body, says):
    before = written(bakery)
    response = writer.post("/api/v1/lineage", json=body, headers=AUTH)
    assert response.status_code == 400
    assert says in response.json()["error"]["message"]
    assert written(bakery) == before and pending_files(bakery) == []


@pytest.mark.parametrize("content, headers", [(b"{not json", {}), (b"plain", {"Content-Encoding": "gzip"})])
def test_a_body_that_is_not_json_is_400(bakery, writer, content, headers):
    response = writer.post("/api/v1/lineage", content=content, headers={**AUTH, **headers})
    assert response.status_code == 400 and response.json()["error"]["kind"] == "input"
    assert pending_files(bakery) == []


def test_a_start_that_waits_with_another_job_is_refused(bakery, writer):
    run = new_run()
    writer.post("/api/v1/lineage", json=event("START", run, "proof", "2024-03-05T04:00:00Z"), headers=AUTH)
    before = written(bakery)
    response = writer.post("/api/v1/lineage", json=event("COMPLETE", run, "bake", "2024-03-05T05:00:00Z"),
                           headers=AUTH)
    assert response.status_code == 400 and "a runId is one job's" in response.json()["error"]["message"]
    assert written(bakery) == before and pending_files(bakery) == [f"{run}.jsonl"]


def test_runs_that_never_end_are_aged_out_and_bounded(tmp_path):
    pending = PendingEvents(tmp_path, max_age_days=1, max_runs=2)
    runs = [new_run() for _ in range(4)]
    with pending.lock():
        pending.add({runs[0]: [GOOD]})
        os.utime(pending.directory / f"{runs[0]}.jsonl", (0, 0))  # two days ago and more: aged out
        pending._aged_at = float("-inf")
        pending.add({run: [GOOD] for run in runs[1:]})
    assert set(pending.waiting()) <= set(runs[1:]) and len(pending.waiting()) == 2


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    pending = PendingEvents(tmp_path)
    run = new_run()
    with pending.lock():
        pending.add({run: [GOOD]})
    with open(pending.directory / f"{run}.jsonl", "a") as out:
        out.write('{"eventType": "RUNN')
    assert pending.events_of([run]) == [GOOD]
