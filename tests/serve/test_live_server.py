"""A real server on a loopback port: the official openlineage-python client (HttpTransport, with the token as its
api key, gzip-ed) sends the START, COMPLETE and FAIL events of a three-job pipeline while readers ask at once; OQL
then traces across the jobs."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from obsql.engine.session import Engine
from obsql.serve.config import ServeConfig
from obsql.serve.server import serving
from tests.serve.conftest import TOKEN

client_module = pytest.importorskip("openlineage.client")
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState  # noqa: E402
from openlineage.client.facet_v2 import error_message_run  # noqa: E402
from openlineage.client.transport.http import (  # noqa: E402
    ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport,
)

T0 = datetime(2024, 3, 6, 5, tzinfo=timezone.utc)
LAKE = "s3://bakery-lake"
# job: (inputs, outputs, how it ends)
PIPELINE = {"extract_orders": (["till/orders.csv"], ["staged/orders.parquet"], RunState.COMPLETE),
            "bake_plan": (["staged/orders.parquet"], ["plans/daily.parquet"], RunState.COMPLETE),
            "publish_plan": (["plans/daily.parquet"], ["dashboards/plan.json"], RunState.FAIL)}


def send_pipeline(url: str) -> list[str]:
    """Emit each job's START and its COMPLETE or FAIL, in order, with openlineage-python's own client."""
    transport = HttpTransport(HttpConfig(url=url, auth=ApiKeyTokenProvider({"api_key": TOKEN}),
                                         compression=HttpCompression.GZIP, timeout=60.0))
    client = client_module.OpenLineageClient(transport=transport)
    run_ids = []
    for step, (job, (inputs, outputs, end)) in enumerate(PIPELINE.items()):
        run_id = str(uuid.uuid4())
        run_ids.append(run_id)
        start = T0 + timedelta(minutes=10 * step)
        for state, moment in ((RunState.START, start), (end, start + timedelta(minutes=5))):
            facets = {"errorMessage": error_message_run.ErrorMessageRunFacet("the dashboard refused the plan",
                                                                             "python")} \
                if state == RunState.FAIL else {}
            client.emit(RunEvent(eventType=state, eventTime=moment.isoformat(), producer="https://example.com/bake",
                                 run=Run(runId=run_id, facets=facets), job=Job(namespace="bakery", name=job),
                                 inputs=[InputDataset(namespace=LAKE, name=name) for name in inputs],
                                 outputs=[OutputDataset(namespace=LAKE, name=name) for name in outputs]))
    return run_ids


def read_while(url: str, done: threading.Event, failures: list) -> None:
    """Ask for the recent runs again and again until `done`, noting any answer that is not a 200."""
    with requests.Session() as session:
        while not done.is_set():
            response = session.get(f"{url}/api/v1/runs", params={"limit": 5}, timeout=60)
            if response.status_code != 200:
                failures.append(response.text)


def test_the_openlineage_client_logs_a_pipeline_that_oql_traces(bakery):
    done, failures = threading.Event(), []
    with serving(ServeConfig(bakery, port=0, token=TOKEN, allow_writes=True, workers=2)) as url:
        readers = [threading.Thread(target=read_while, args=(url, done, failures)) for _ in range(3)]
        for reader in readers:
            reader.start()
        try:
            send_pipeline(url)
        finally:
            done.set()
            for reader in readers:
                reader.join()
        trace = requests.get(f"{url}/api/v1/trace", params={"pointer": f"{LAKE}::dashboards/plan.json"},
                             timeout=60).json()
    assert failures == []
    assert [(row[0], row[1], row[5]) for row in trace["rows"]] == [
        (0, "bakery::publish_plan", "failed"), (1, "bakery::bake_plan", "ok"), (2, "bakery::extract_orders", "ok")]
    engine = Engine.open(bakery)
    forward = engine.run(f"trace forward '{LAKE}::till/orders.csv' | select depth, component")[0].rows
    assert forward == [(0, "bakery::extract_orders"), (1, "bakery::bake_plan"), (2, "bakery::publish_plan")]
    (error,) = engine.run("runs of 'bakery::publish_plan' | select error")[0].rows
    assert error == ("the dashboard refused the plan",)
    starts = engine.run("sql select component, start_time from runs where component like 'bakery::%' order by 2")
    assert [row[1] for row in starts[0].rows] == [T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)]


def test_a_read_only_server_refuses_the_client(bakery):
    with serving(ServeConfig(bakery, port=0)) as url:
        with pytest.raises(requests.HTTPError, match="403"):
            send_pipeline(url)
