"""The JSON API over the bakery store: each endpoint's answer, JSON-safe values, errors in obsql's shape, and an
OpenAPI description that names every route."""
from __future__ import annotations

import json
import re

import pytest
from starlette.routing import Route

from obsql.serve import api
from tests.serve.pipeline import XSS


def test_recent_runs_come_newest_first_with_iso_times(reader):
    body = reader.get("/api/v1/runs", params={"limit": 3}).json()
    assert body["oql"] == "recent 3"
    assert len(body["rows"]) == 3 and body["row_count"] == 3 and body["truncated"] is False
    run = dict(zip(body["columns"], body["rows"][0]))
    assert run["component"] == "forecast" and run["start_time"] == "2024-03-04T02:00:00Z"
    assert run["duration_s"] == 60.0 and run["stale_reasons"] == []


def test_runs_of_one_component(reader):
    body = reader.get("/api/v1/runs", params={"component": "clean"}).json()
    assert {row[body["columns"].index("component")] for row in body["rows"]} == {"clean"}
    assert body["row_count"] == 4


def test_a_run_card_is_inspect_run(reader):
    run_id = reader.get("/api/v1/runs", params={"limit": 1}).json()["rows"][0][0]
    body = reader.get(f"/api/v1/runs/{run_id[:12]}").json()
    assert body["oql"] == f"inspect run '{run_id[:12]}'" and body["shape"] == "card"
    fields = {(section, field) for section, field, _, _ in body["rows"]}
    assert {("run", "run_id"), ("outputs", XSS), ("inputs", "models/loaves.pkl"), ("metrics", "accuracy")} <= fields


def test_components_and_a_history(reader):
    components = reader.get("/api/v1/components").json()
    assert [row[0] for row in components["rows"]] == ["train", "ingest", "clean", "forecast"]
    history = reader.get("/api/v1/components/forecast/history", params={"metric": "accuracy"}).json()
    assert history["oql"] == "history 'forecast' metric accuracy" and history["shape"] == "history"
    assert [row[-1] for row in history["rows"]] == [0.93, 0.91, 0.62, 0.94]


def test_a_metric_that_is_not_a_name_is_refused(reader):
    response = reader.get("/api/v1/components/forecast/history", params={"metric": "accuracy; flag 'x'"})
    assert response.status_code == 400 and "not a metric name" in response.json()["error"]["message"]


def test_trace_upstream_forward_and_by_depth(reader):
    up = reader.get("/api/v1/trace", params={"pointer": XSS}).json()
    assert [(row[0], row[1]) for row in up["rows"]] == [(0, "forecast"), (1, "clean"), (2, "ingest"), (1, "train")]
    forward = reader.get("/api/v1/trace", params={"pointer": "till/orders-0.csv", "forward": 1}).json()
    assert forward["oql"] == "trace forward 'till/orders-0.csv'"
    assert [row[1] for row in forward["rows"]] == ["ingest", "clean", "forecast"]
    shallow = reader.get("/api/v1/trace", params={"pointer": XSS, "depth": 1}).json()
    assert max(row[0] for row in shallow["rows"]) == 1


def test_a_pointer_card(reader):
    body = reader.get("/api/v1/pointers", params={"p": "loaves-0-north"}).json()
    assert ("pointer", "name", "loaves-0-north", None) in [tuple(row) for row in body["rows"]]


def test_alerts_open_and_all(reader):
    open_now = reader.get("/api/v1/alerts").json()
    assert open_now["oql"] == "alerts" and [row[:2] for row in open_now["rows"]] == [["forecast", "accuracy"]]
    every = reader.get("/api/v1/alerts", params={"all": "1"}).json()
    assert every["oql"] == "alerts all" and "until" in every["columns"]


def test_flags_lists_flagged_outputs_and_the_review(reader):
    body = reader.get("/api/v1/flags").json()
    assert body["flagged"]["rows"] == [] and body["review"]["columns"][:2] == ["rank", "run_id"]


def test_a_query_returns_columns_and_rows(reader):
    body = reader.get("/api/v1/query", params={"q": "sql select component, count(*) as n from runs group by 1 "
                                                   "order by 1"}).json()
    assert body["columns"] == ["component", "n"]
    assert body["rows"] == [["clean", 4], ["forecast", 4], ["ingest", 4], ["train", 1]]


def test_values_are_json_safe(reader):
    body = reader.get("/api/v1/query", params={"q": "sql select interval 90 second as d, 1.5::decimal(4,2) as m, "
                                                   "'nan'::double as x, date '2024-03-01' as day"}).json()
    assert body["rows"] == [[90.0, 1.5, None, "2024-03-01"]]


@pytest.mark.parametrize("q, kind, status", [
    ("recnt 5", "syntax", 400), ("history nobody", "name", 404), ("sql select nope from runs", "name", 404),
    ("sql select cast('x' as integer)", "input", 400), ("sql selec 1", "sql", 400),
])
def test_query_errors_come_in_the_error_shape(reader, q, kind, status):
    response = reader.get("/api/v1/query", params={"q": q})
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"kind", "message", "line", "column", "suggestion", "text"}
    assert error["kind"] == kind and error["text"].startswith(f"error ({kind})")


def test_a_syntax_error_points_at_its_place(reader):
    error = reader.get("/api/v1/query", params={"q": "recent 5 |"}).json()["error"]
    assert error["line"] == 1 and error["column"] is not None and "^" in error["text"]


@pytest.mark.parametrize("url", ["/api/v1/runs?limit=0", "/api/v1/runs?limit=abc", "/api/v1/trace",
                                 "/api/v1/pointers", "/api/v1/query", "/api/v1/trace?pointer=x&depth=-1"])
def test_bad_parameters_are_400s_in_the_error_shape(reader, url):
    response = reader.get(url)
    assert response.status_code == 400 and response.json()["error"]["kind"] == "input"


def test_an_unknown_route_is_a_404_in_the_error_shape(reader):
    response = reader.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json()["error"]["message"] == "there is no page /api/v1/nothing"


def test_the_openapi_description_names_every_route_and_method(reader):
    described = reader.get("/api/v1/openapi.json").json()
    assert described["openapi"].startswith("3.")
    routes = {(re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path), method.lower()) for route in api.ROUTES
              if isinstance(route, Route) for method in route.methods - {"HEAD"}}
    assert routes == {(path, method) for path, item in described["paths"].items() for method in item}
    json.dumps(described)  # plain JSON
