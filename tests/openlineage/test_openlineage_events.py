"""OpenLineage events from elsewhere: what openlineage-python's client sends for a three-job pipeline imports and
traces across the jobs; the facets become summaries, metrics, code, errors and notes; each invalid event is refused
with the field (and line) named, and nothing is written; events of one runId pair into one run."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (data_quality_metrics_input_dataset as quality, error_message_run,
                                         nominal_time_run, output_statistics_output_dataset as statistics,
                                         parent_run, schema_dataset, source_code_job, source_code_location_job)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.uuid import generate_new_uuid

import obsql
from obsql.cli import main
from obsql.client.context import source_hash
from obsql.client.external import external_record, log_external
from obsql.errors import ObsqlError
from obsql.openlineage.events import parse_event, parse_lines
from obsql.openlineage.naming import obsql_name, openlineage_name, run_id_of, uuid_of
from obsql.openlineage.pairing import pair_events

T0 = datetime(2024, 3, 4, 6, 0, tzinfo=timezone.utc)
SHOP = "postgres://shop-db:5432"
CODE = "SELECT order_id, sum(amount) AS total FROM shop.public.orders GROUP BY 1"


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def send_shop_pipeline(path: Path) -> dict[str, str]:
    """What openlineage-python's client sends (through its file transport) for an e-commerce pipeline of three jobs:
    extract_orders reads the orders table, aggregate_daily writes daily totals (its code, statistics and quality
    metrics in facets), score_churn reads them and fails. Returns the runIds by job."""
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(path), append=True)))
    orders = InputDataset(SHOP, "shop.public.orders", facets={"schema": schema_dataset.SchemaDatasetFacet(fields=[
        schema_dataset.SchemaDatasetFacetFields("order_id", "BIGINT"),
        schema_dataset.SchemaDatasetFacetFields("amount", "NUMERIC(10,2)")])})
    staged = OutputDataset("s3://shop-lake", "staging/orders.parquet")
    daily = OutputDataset("s3://shop-lake", "marts/daily_totals.parquet", outputFacets={
        "outputStatistics": statistics.OutputStatisticsOutputDatasetFacet(rowCount=31, size=4096)})
    daily_read = InputDataset("s3://shop-lake", "marts/daily_totals.parquet", inputFacets={
        "dataQualityMetrics": quality.DataQualityMetricsInputDatasetFacet(rowCount=31, columnMetrics={
            "total": quality.ColumnMetrics(nullCount=1, distinctCount=29, count=30, sum=3000.0, min=12.5, max=250.0,
                                           quantiles={"0.25": 40.0, "0.5": 90.0, "0.75": 150.0})})})
    ids = {job: str(generate_new_uuid()) for job in ("extract_orders", "aggregate_daily", "score_churn")}
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=str(generate_new_uuid())),
                                       job=parent_run.Job(namespace="airflow", name="shop_dag"))
    code = {"sourceCode": source_code_job.SourceCodeJobFacet(language="sql", sourceCode=CODE),
            "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                type="git", url="https://git.example.com/shop/etl", path="dags/daily.sql", version="4f2a9c1")}

    def emit(state, minutes, job, inputs=(), outputs=(), run_facets=None, job_facets=None):
        client.emit(RunEvent(eventType=state, eventTime=at(minutes), run=Run(ids[job], facets=run_facets or {}),
                             job=Job("shop", job, facets=job_facets or {}), inputs=list(inputs),
                             outputs=list(outputs), producer="https://example.com/shop-etl"))

    emit(RunState.START, 0, "extract_orders", [orders], [staged], {"parent": parent})
    emit(RunState.COMPLETE, 5, "extract_orders", [orders], [staged])
    emit(RunState.START, 10, "aggregate_daily", [InputDataset("s3://shop-lake", "staging/orders.parquet")], [daily],
         {"nominalTime": nominal_time_run.NominalTimeRunFacet(nominalStartTime=at(8))}, code)
    emit(RunState.RUNNING, 12, "aggregate_daily")
    emit(RunState.COMPLETE, 15, "aggregate_daily", outputs=[daily])
    emit(RunState.START, 20, "score_churn", [daily_read])
    emit(RunState.FAIL, 21, "score_churn", run_facets={"errorMessage": error_message_run.ErrorMessageRunFacet(
        message="model file not found", programmingLanguage="python", stackTrace="Traceback ...\nFileNotFoundError")})
    return ids


@pytest.fixture
def shop(tmp_path):
    events = tmp_path / "shop.jsonl"
    ids = send_shop_pipeline(events)
    store = obsql.connect(tmp_path / "store")
    report = store.import_openlineage(events)
    yield store, ids, report, events
    store.close()


def test_the_three_jobs_become_three_runs_traced_across_the_jobs(shop):
    store, ids, report, _ = shop
    assert sorted(report.logged) == sorted(run_id_of(i) for i in ids.values())
    runs = store.sql("select component, status, start_time, end_time from runs order by start_time").rows
    assert [(c, s) for c, s, *_ in runs] == [("shop::extract_orders", "ok"), ("shop::aggregate_daily", "ok"),
                                             ("shop::score_churn", "failed")]
    assert runs[1][2] == T0 + timedelta(minutes=8) and runs[1][3] == T0 + timedelta(minutes=15)  # nominal start
    traced = {row[0] for row in store.sql("select dep_component from deps").rows}
    assert traced == {"shop::extract_orders", "shop::aggregate_daily"}
    traced = store.query("trace 's3://shop-lake::marts/daily_totals.parquet'").to_dicts()
    assert [(row["depth"], row["component"], row["via"]) for row in traced] == [
        (0, "shop::aggregate_daily", "s3://shop-lake::marts/daily_totals.parquet"),
        (1, "shop::extract_orders", "s3://shop-lake::staging/orders.parquet")]
    forward = store.query(f"trace forward '{SHOP}::shop.public.orders'").to_dicts()
    assert {row["component"] for row in forward} == {"shop::extract_orders", "shop::aggregate_daily",
                                                     "shop::score_churn"}


def test_the_facets_become_summaries_metrics_code_errors_and_notes(shop):
    store, ids, _, _ = shop
    aggregate, churn = run_id_of(ids["aggregate_daily"]), run_id_of(ids["score_churn"])
    assert dict(store.sql(f"select name, value from metrics where run_id = '{aggregate}'").rows) == {
        "output_rows": 31.0, "output_bytes": 4096.0}
    code_hash, git_commit, notes = store.sql(f"select code_hash, git_commit, notes from runs "
                                             f"where run_id = '{aggregate}'").rows[0]
    assert code_hash == source_hash(CODE) and git_commit == "4f2a9c1"
    assert notes == "code at https://git.example.com/shop/etl dags/daily.sql"
    assert store.sql(f"select source from code where code_hash = '{code_hash}'").rows == [(CODE,)]
    assert store.sql(f"select error from runs where run_id = '{churn}'").rows == [("Traceback ...\nFileNotFoundError",)]
    (summary,) = store.sql(f"select count, nulls, min, max, mean, quantiles, \"distinct\", kind from summaries "
                           f"where run_id = '{churn}' and column_name = 'total'").rows
    assert summary[:5] == (30, 1, 12.5, 250.0, 100.0) and summary[6:] == (29, "numeric")
    assert summary[5][0] == 12.5 and summary[5][5] == 40.0 and summary[5][10] == 90.0 and summary[5][20] == 250.0
    schema = store.sql("select column_name, dtype, kind from summaries where pointer = "
                       f"'{SHOP}::shop.public.orders' order by column_name").rows
    assert schema == [("amount", "NUMERIC(10,2)", "numeric"), ("order_id", "BIGINT", "numeric")]
    (extract_notes,) = store.sql("select notes from runs where component = 'shop::extract_orders'").rows[0]
    assert extract_notes.startswith("parent: run ") and extract_notes.endswith(" of airflow::shop_dag")


def test_a_start_without_its_end_is_left_out_with_a_warning_naming_it(tmp_path):
    run_id = str(generate_new_uuid())
    path = tmp_path / "open.jsonl"
    path.write_text(json.dumps(event("START", run_id)) + "\n")
    store = obsql.connect(tmp_path / "store")
    with pytest.warns(UserWarning, match=f"run {run_id} of etl \\(line 1\\) has no COMPLETE"):
        report = store.import_openlineage(path)
    assert report.logged == [] and store.sql("select count(*) from runs").rows == [(0,)]
    store.close()


def test_the_cli_imports_a_file_and_stdin_and_warns_on_stderr(tmp_path, capsys, monkeypatch):
    import io

    started, done = str(generate_new_uuid()), str(generate_new_uuid())
    lines = [event("START", started), event("START", done), event("COMPLETE", done, minutes=1)]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(e) for e in lines)))
    assert main(["import-openlineage", "--store", str(tmp_path / "store"), "-"]) == 0
    out, err = capsys.readouterr()
    assert "imported 1 run(s)" in out and f"warning: run {started} of etl (line 1)" in err


# -- invalid events -----------------------------------------------------------------------------------------------
def event(event_type: str = "COMPLETE", run_id: str = "0190b5a2-7c1e-7d3f-9a4b-2c8e1f0a6d5b", minutes: float = 0,
          **changes) -> dict:
    """A small valid event, as the docs' curl example sends it."""
    base = {"eventType": event_type, "eventTime": at(minutes), "run": {"runId": run_id},
            "job": {"namespace": "default", "name": "etl"}, "inputs": [{"namespace": "default", "name": "raw.csv"}],
            "outputs": [{"namespace": "default", "name": "clean.parquet"}],
            "producer": "https://example.com/curl", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json"}
    base.update(changes)
    return base


def without(key: str, **changes) -> dict:
    changed = event(**changes)
    del changed[key]
    return changed


INVALID = [
    ("not json", '{"eventType": "START",', "not JSON"),
    ("a list", "[1, 2]", "the event must be a JSON object, not a list"),
    ("no runId", event(run={}), "run.runId is missing"),
    ("no run", without("run"), "run is missing"),
    ("no eventType", without("eventType"), "eventType is missing"),
    ("no eventTime", without("eventTime"), "eventTime is missing"),
    ("no job name", event(job={"namespace": "default"}), "job.name is missing"),
    ("runId not a UUID", event(run={"runId": "run-42"}), "run.runId must be a UUID"),
    ("unknown eventType", event(event_type="FINISHED"), "eventType must be one of START, RUNNING, COMPLETE"),
    ("eventTime not a time", event(eventTime="yesterday"), "eventTime must be a date and time"),
    ("runId a number", event(run={"runId": 42}), "run.runId must be a string, not a number"),
    ("inputs an object", event(inputs={"name": "x"}), "inputs must be a list of datasets, not an object"),
    ("dataset without name", event(outputs=[{"namespace": "default"}]), "outputs[0].name is missing"),
    ("facet of the wrong type", event(run={"runId": "0190b5a2-7c1e-7d3f-9a4b-2c8e1f0a6d5b", "facets": {
        "errorMessage": {"message": 3}}}), "run.facets.errorMessage.message must be a string, not a number"),
    ("metric not a number", event(inputs=[{"namespace": "default", "name": "x", "inputFacets": {
        "dataQualityMetrics": {"columnMetrics": {"a": {"nullCount": "many"}}}}}]),
     "inputs[0].inputFacets.dataQualityMetrics.columnMetrics.a.nullCount must be a whole number, not a string"),
]


@pytest.mark.parametrize("case, bad, message", INVALID, ids=[case for case, _, _ in INVALID])
def test_an_invalid_event_is_refused_naming_the_field_and_line_and_nothing_is_written(tmp_path, capsys, case, bad,
                                                                                      message):
    good = [event("START", "0190b5a2-7c1e-7d3f-9a4b-000000000001"),
            event("COMPLETE", "0190b5a2-7c1e-7d3f-9a4b-000000000001", minutes=1)]
    lines = [json.dumps(e) for e in good] + [bad if isinstance(bad, str) else json.dumps(bad)]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ObsqlError) as raised:
        parse_lines(path.read_text())
    assert raised.value.kind == "input" and raised.value.line == 3 and message in raised.value.message
    assert main(["import-openlineage", "--store", str(tmp_path / "store"), str(path)]) == 2
    assert f"{path}: error (input): line 3: {message}" in capsys.readouterr().err
    store = obsql.connect(tmp_path / "store")  # the good lines before it were not written either
    assert store.sql("select count(*) from runs").rows == [(0,)]
    store.close()


def test_an_unreadable_file_is_an_input_error(tmp_path):
    with pytest.raises(ObsqlError, match="cannot read"):
        obsql.connect(tmp_path / "store").import_openlineage(tmp_path / "missing.jsonl")


# -- pairing, naming, and the client's entry point ----------------------------------------------------------------
def test_events_of_one_run_id_pair_into_one_run():
    run_id = str(generate_new_uuid())
    alone = str(generate_new_uuid())
    events = [parse_event(e, n) for n, e in enumerate([
        event("COMPLETE", run_id, minutes=9),
        event("RUNNING", run_id, minutes=4, run={"runId": run_id, "facets": {"obsql": {
            "_producer": "x", "_schemaURL": "y", "notes": "halfway"}}}),
        event("START", run_id, minutes=1),
        event("FAIL", alone, minutes=3),
        event("START", str(generate_new_uuid()), minutes=2)], 1)]
    paired = pair_events(events)
    first, second = sorted(paired.runs, key=lambda run: run.start)
    assert (first.start, first.end, first.event_type) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=9),
                                                          "COMPLETE")
    assert first.run_facets["obsql"]["notes"] == "halfway" and list(first.inputs) == ["raw.csv"]
    assert (second.run_id, second.start, second.end, second.event_type) == (alone, T0 + timedelta(minutes=3),
                                                                            T0 + timedelta(minutes=3), "FAIL")
    assert [e.line for e in paired.pending] == [5]


def test_a_run_id_of_two_jobs_is_refused():
    run_id = str(generate_new_uuid())
    events = [parse_event(event("START", run_id), 1),
              parse_event(event("COMPLETE", run_id, job={"namespace": "default", "name": "other"}), 2)]
    with pytest.raises(ObsqlError, match="a runId is one job's") as raised:
        pair_events(events)
    assert raised.value.line == 2


@pytest.mark.parametrize("namespace, name, pointer", [
    ("default", "orders.csv", "orders.csv"),
    ("s3://lake", "marts/daily.parquet", "s3://lake::marts/daily.parquet"),
    ("postgres://db:5432", "shop.public.orders", "postgres://db:5432::shop.public.orders"),
])
def test_names_map_both_ways(namespace, name, pointer):
    assert obsql_name(namespace, name) == pointer and openlineage_name(pointer) == (namespace, name)


def test_run_ids_map_both_ways_and_a_uuid7_keeps_its_time_order():
    earlier, later = str(generate_new_uuid(T0)), str(generate_new_uuid(T0 + timedelta(seconds=1)))
    assert uuid_of(run_id_of(earlier)) == earlier and run_id_of(earlier) < run_id_of(later)
    ulid = "01H1T42300Q2J9QYBS6D0ZS7GJ"
    assert run_id_of(uuid_of(ulid)) == ulid


def test_the_client_logs_a_run_from_elsewhere_with_its_id_times_and_code(tmp_path):
    store = obsql.connect(tmp_path / "store")
    with obsql.run("load", outputs=["table.csv"], start=T0, end=T0 + timedelta(minutes=1)):
        pass
    record = external_record(store.logger, "report", "01H1T42300Q2J9QYBS6D0ZS7GJ", T0 + timedelta(hours=1),
                             T0 + timedelta(hours=2))
    record.add_input(["table.csv"])
    record.code = "print('report')"
    record.summaries["table.csv"] = [{"column": "a", "dtype": "Int64", "kind": "numeric", "count": 3, "nulls": 0}]
    deps = log_external(store.logger, record)
    store.flush()
    assert [d.producer.component for d in deps] == ["load"]
    assert store.sql("select run_id, start_time, end_time, code_hash from runs where component = 'report'").rows == [
        ("01H1T42300Q2J9QYBS6D0ZS7GJ", T0 + timedelta(hours=1), T0 + timedelta(hours=2), source_hash(record.code))]
    assert store.sql("select pointer, column_name, count from summaries").rows == [("table.csv", "a", 3)]
    with pytest.raises(ValueError, match="ends .* before it starts"):
        external_record(store.logger, "report", "01H1T42300Q2J9QYBS6D0ZS7GK", T0, T0 - timedelta(seconds=1))
    store.close()
