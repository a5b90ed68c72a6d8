"""The events of OpenLineage runs that have not ended wait on disk: `obsql forget` takes a forgotten dataset's facets
out of them (or, removing runs, the waiting runs that name it) and `obsql retain` drops those older than its runs'
age, so no removal leaves behind in a waiting run what it removed from the tables."""
from __future__ import annotations

import json
import os
import time
import uuid

import obsql
from obsql.openlineage.pending import PendingEvents

STATS = {"columnMetrics": {"email": {"nullCount": 0, "min": "ann@example.com", "max": "zoe@example.com"}}}


def dataset(namespace: str, name: str) -> dict:
    """A dataset with a schema and column statistics: the contacts' hold e-mail addresses."""
    stats = STATS if name == "contacts.csv" else {"columnMetrics": {"region": {"nullCount": 0}}}
    return {"namespace": namespace, "name": name, "facets": {"schema": {"fields": [{"name": "email"}]}},
            "inputFacets": {"dataQualityMetrics": stats}}


def start(run_id: str, inputs: list[dict], outputs: list[dict] = ()) -> dict:
    return {"eventType": "START", "eventTime": "2024-03-01T00:00:00Z", "producer": "https://example.com/tests",
            "run": {"runId": run_id}, "job": {"namespace": "crm", "name": "export_contacts"},
            "inputs": inputs, "outputs": list(outputs)}


def waiting_events(pending: PendingEvents, run_id: str) -> list[dict]:
    return [json.loads(line) for line in (pending.directory / f"{run_id}.jsonl").read_text().splitlines()]


def test_forgetting_a_dataset_strips_its_facets_from_waiting_runs_and_keeps_the_rest(tmp_path):
    pending, run, other = PendingEvents(tmp_path), str(uuid.uuid4()), str(uuid.uuid4())
    with pending.lock():
        pending.add({run: [start(run, [dataset("s3://crm", "contacts.csv"), dataset("default", "regions.csv")])],
                     other: [start(other, [dataset("default", "regions.csv")])]})
    path = pending.directory / f"{run}.jsonl"
    os.utime(path, (1_000_000, 1_000_000))
    assert pending.forget_datasets({"s3://crm::contacts.csv"}, dry_run=True) == 1
    assert waiting_events(pending, run)[0]["inputs"][0] == dataset("s3://crm", "contacts.csv")

    assert pending.forget_datasets({"s3://crm::contacts.csv"}) == 1
    (event,) = waiting_events(pending, run)
    assert event["inputs"][0] == {"namespace": "s3://crm", "name": "contacts.csv"}
    assert event["inputs"][1] == dataset("default", "regions.csv")
    assert "ann@example.com" not in path.read_text()
    assert path.stat().st_mtime == 1_000_000  # its age kept: it still ages out when it would have
    assert waiting_events(pending, other) == [start(other, [dataset("default", "regions.csv")])]
    assert sorted(pending.waiting()) == sorted([run, other])


def test_forgetting_with_runs_drops_the_waiting_runs_that_name_the_dataset(tmp_path):
    pending, run, other = PendingEvents(tmp_path), str(uuid.uuid4()), str(uuid.uuid4())
    with pending.lock():
        pending.add({run: [start(run, [], [dataset("default", "contacts.csv")])],
                     other: [start(other, [dataset("default", "regions.csv")])]})
    assert pending.forget_datasets({"contacts.csv"}, drop_runs=True) == 1
    assert pending.waiting() == [other]


def test_retention_drops_waiting_runs_older_than_its_cutoff(tmp_path):
    pending, old, new = PendingEvents(tmp_path), str(uuid.uuid4()), str(uuid.uuid4())
    with pending.lock():
        pending.add({old: [start(old, [])], new: [start(new, [])]})
    os.utime(pending.directory / f"{old}.jsonl", (1_000_000, 1_000_000))
    cutoff = time.time() - 86_400
    assert pending.drop_older_than(cutoff, dry_run=True) == 1 and len(pending.waiting()) == 2
    assert pending.drop_older_than(cutoff) == 1
    assert pending.waiting() == [new]


def test_obsql_forget_and_retain_reach_the_waiting_events(tmp_path):
    store = obsql.connect(tmp_path / "crm")
    with store.run("load_contacts", outputs=["s3://crm::contacts.csv"]):
        pass
    store.flush()
    run = str(uuid.uuid4())
    pending = PendingEvents(store.path)
    with pending.lock():
        pending.add({run: [start(run, [dataset("s3://crm", "contacts.csv")])]})

    removal = store.forget("s3://crm::contacts.csv")
    assert removal.waiting_runs == 1
    assert "  waiting OpenLineage runs: 1 (facets of the datasets removed)" in removal.describe()
    assert "ann@example.com" not in (pending.directory / f"{run}.jsonl").read_text()

    os.utime(pending.directory / f"{run}.jsonl", (1_000_000, 1_000_000))
    kept = store.retain(runs="30d")
    assert kept.waiting_runs == 1 and pending.waiting() == []
    store.close()
