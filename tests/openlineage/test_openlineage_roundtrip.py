"""OpenLineage out and back in: a weather pipeline logged with obsql's client, exported as RunEvents (valid against
openlineage-python's models), imported into an empty store, gives the same runs, lineage, staleness and summaries."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

import obsql
from obsql.cli import main
from tests.openlineage.models import as_model_dict

T0 = datetime(2023, 6, 1, tzinfo=timezone.utc)


def weather(path: Path) -> obsql.Store:
    """A forecast model trained once; then three days of ingest (a station's raw readings), clean (drops bad
    readings, with a check) and forecast (scores each city with the model, 40 days old by the last day: stale).
    The third day's clean fails."""
    store = obsql.connect(path)
    with obsql.run(obsql.Component("train", owner="meteo", description="fits the forecast model"),
                   inputs=["archive/2022.parquet"], outputs=["models/forecast.pkl"], start=T0 - timedelta(days=38),
                   end=T0 - timedelta(days=38, hours=-1)) as run:
        run.log_metric("rmse", 1.7)
    for day in range(3):
        start = T0 + timedelta(days=day)
        with obsql.run("ingest", inputs=[f"stations/readings-{day}.csv"], start=start,
                       end=start + timedelta(minutes=5)) as run:
            readings = pl.DataFrame({"city": ["Oslo", "Lima", "Pune", None], "temp_c": [14.0 + day, 19.5, 31.0, None],
                                     "ok": [True, True, False, True]})
            run.add_output(readings, var="readings")
        clean = obsql.run("clean", inputs=[readings], start=start + timedelta(hours=1),
                          end=start + timedelta(hours=1, minutes=2))
        if day == 2:
            with pytest.raises(ValueError):
                with clean as run:
                    raise ValueError("a station sent Fahrenheit")
            continue
        with clean as run:
            cleaned = readings.filter(pl.col("ok")).drop_nulls()
            run.add_output(cleaned, var="cleaned")
            run.log_metric("dropped", readings.height - cleaned.height)
        with obsql.run("forecast", inputs=[cleaned, "models/forecast.pkl"], start=start + timedelta(hours=2),
                       end=start + timedelta(hours=2, minutes=1)) as run:
            run.add_output([f"forecast-{day}-{city}" for city in cleaned["city"]],
                           values=[0.1 * len(city) for city in cleaned["city"]])
    store.flush()
    return store


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The pipeline's store, its export (a JSON-lines file, through the CLI) and the store imported from it."""
    root = tmp_path_factory.mktemp("openlineage")
    original = weather(root / "original")
    exported = root / "events.jsonl"
    assert main(["export-openlineage", "--store", str(original.path), "--out", str(exported)]) == 0
    assert main(["import-openlineage", "--store", str(root / "imported"), str(exported)]) == 0
    imported = obsql.connect(root / "imported")
    yield original, imported, exported
    original.close()
    imported.close()


def rows(store: obsql.Store, sql: str) -> list[tuple]:
    return sorted(store.sql(sql).rows, key=repr)


def test_every_exported_event_is_valid_for_the_openlineage_models(stores):
    _, _, exported = stores
    events = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [e["eventType"] for e in events].count("START") == 9
    assert sorted({e["eventType"] for e in events}) == ["COMPLETE", "FAIL", "START"]
    for event in events:
        assert as_model_dict(event) == event


@pytest.mark.parametrize("table, columns", [
    ("runs", "run_id, component, start_time, end_time, status, error, git_commit, code_hash, notes, stale, "
             "stale_reasons"),
    ("io", "run_id, direction, pointer, pointer_type, value, content_hash"),
    ("deps", "run_id, pointer, dep_run_id, dep_component, stale, reason"),
    ("metrics", "run_id, name, value"),
    ("summaries", 'run_id, pointer, column_name, dtype, kind, count, nulls, min, max, mean, std, quantiles, '
                  '"distinct", top_values'),
    ("code", "code_hash, source"),
])
def test_the_imported_store_has_the_same_rows(stores, table, columns):
    original, imported, _ = stores
    query = f"select distinct {columns} from {table}"
    assert rows(imported, query) == rows(original, query)


@pytest.mark.parametrize("oql", [
    "trace 'forecast-1-Oslo'",
    "trace forward 'stations/readings-0.csv'",
    "stale of forecast",
    "runs of forecast where stale",
    "history clean metric dropped",
    "history ingest metric null_frac(temp_c), mean(temp_c)",
    "compare ingest with clean on temp_c",
    "components",
])
def test_oql_gives_the_same_answers(stores, oql):
    original, imported, _ = stores
    assert rounded(imported.query(oql).rows) == rounded(original.query(oql).rows)


def rounded(rows: list[tuple]) -> list[tuple]:
    """Rows with floats to 12 significant digits: DuckDB may add a pooled sum up in another order."""
    return [tuple(float(f"{value:.12g}") if isinstance(value, float) else value for value in row) for row in rows]


def test_the_failed_run_keeps_its_error(stores):
    _, imported, _ = stores
    (status, error), = imported.sql("select status, error from runs where component = 'clean' "
                                    "and status = 'failed'").rows
    assert "ValueError: a station sent Fahrenheit" in error


def test_importing_the_same_file_again_logs_nothing_new(stores, tmp_path):
    _, imported, exported = stores
    before = imported.sql("select count(*) from runs").rows
    report = imported.import_openlineage(exported)
    assert report.logged == [] and len(report.already) == 9
    assert imported.sql("select count(*) from runs").rows == before


def test_since_exports_only_the_runs_that_started_then(stores, tmp_path, capsys):
    original, _, _ = stores
    assert main(["export-openlineage", "--store", str(original.path), "--since", "2023-06-02"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {e["job"]["name"] for e in events} == {"ingest", "clean", "forecast"}
    assert min(e["eventTime"] for e in events) >= "2023-06-02"
    assert len(events) == 2 * 5  # days 1 and 2: ingest, clean, forecast; ingest, clean (failed)
