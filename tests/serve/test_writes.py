"""Writes: only with --allow-writes (403 otherwise) and the token (401 without it or with a wrong one), and nothing
is written by a refused request. Flags, tags, notes and OQL that writes, through the API and through the pages'
forms (the token in a field, then in a cookie)."""
from __future__ import annotations

from pathlib import Path

import pytest

from obsql.cli import main
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.serve.config import ServeConfig
from tests.serve.conftest import AUTH, TOKEN, client_of
from tests.serve.pipeline import XSS

EVENT_TABLES = ("flags", "tag_events", "run_notes", "runs")


def written(root: Path) -> dict[str, int]:
    """Rows of every table a write could add to, as a fresh reader of the store sees them."""
    engine = Engine.open(root)
    return {table: engine.query(f"SELECT count(*) FROM {table}")[0][0] for table in EVENT_TABLES}


def a_run_id(root: Path) -> str:
    return Engine.open(root).run("recent 1")[0].rows[0][0]


WRITES = [
    ("POST", "/api/v1/flags", {"pointers": ["loaves-0-north"]}),
    ("DELETE", "/api/v1/flags", {"pointers": ["loaves-0-north"]}),
    ("POST", "/api/v1/components/forecast/tags", {"tags": ["gold"]}),
    ("DELETE", "/api/v1/components/forecast/tags", {"tags": ["prod"]}),
    ("POST", "/api/v1/runs/{run}/notes", {"text": "looked at it"}),
    ("POST", "/api/v1/query", {"q": "flag 'loaves-1-north'"}),
    ("POST", "/api/v1/lineage", {"eventType": "COMPLETE", "eventTime": "2024-03-05T00:00:00Z",
                                 "run": {"runId": "0190b5a2-7c1e-7d3f-9a4b-2c8e1f0a6d5b"},
                                 "job": {"namespace": "default", "name": "bake"}}),
]


@pytest.mark.parametrize("method, url, body", WRITES)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                     {"Authorization": f"Basic {TOKEN}"}], ids=["none", "wrong", "not-bearer"])
def test_a_write_without_the_token_is_401_and_writes_nothing(bakery, writer, method, url, body, headers):
    before = written(bakery)
    response = writer.request(method, url.format(run=a_run_id(bakery)), json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["kind"] == "input"
    assert written(bakery) == before


@pytest.mark.parametrize("method, url, body", WRITES)
def test_a_write_to_a_read_only_server_is_403_and_writes_nothing(bakery, method, url, body):
    before = written(bakery)
    with client_of(bakery, token=TOKEN) as client:
        response = client.request(method, url.format(run=a_run_id(bakery)), json=body, headers=AUTH)
    assert response.status_code == 403 and "read-only" in response.json()["error"]["message"]
    assert written(bakery) == before


def test_flag_then_unflag_through_the_api(bakery, writer):
    response = writer.post("/api/v1/flags", json={"pointers": [XSS, "loaves-2-north"]}, headers=AUTH)
    assert response.status_code == 200 and response.json()["rows"] == [[XSS, True], ["loaves-2-north", True]]
    assert writer.get("/api/v1/flags").json()["flagged"]["rows"] == [[XSS], ["loaves-2-north"]]
    review = writer.get("/api/v1/flags").json()["review"]
    assert {row[2] for row in review["rows"]} >= {"forecast"}
    writer.request("DELETE", "/api/v1/flags", json={"pointers": [XSS]}, headers=AUTH)
    assert writer.get("/api/v1/flags").json()["flagged"]["rows"] == [["loaves-2-north"]]
    assert Engine.open(bakery).run("sql select count(*) from flags")[0].rows == [(3,)]  # events: history kept


def test_flagging_a_pointer_the_store_never_saw_is_404_and_writes_nothing(bakery, writer):
    before = written(bakery)
    response = writer.post("/api/v1/flags", json={"pointers": ["loaves-0-north", "no-such-loaf"]}, headers=AUTH)
    assert response.status_code == 404 and "no-such-loaf" in response.json()["error"]["message"]
    assert written(bakery) == before


@pytest.mark.parametrize("body", [{}, {"pointers": "one"}, {"pointers": []}, {"pointers": [""]}, {"pointers": [3]}])
def test_a_bad_flags_body_is_400(writer, body):
    response = writer.post("/api/v1/flags", json=body, headers=AUTH)
    assert response.status_code == 400


def test_tag_untag_and_note(bakery, writer):
    assert writer.post("/api/v1/components/forecast/tags", json={"tags": ["gold"]}, headers=AUTH).status_code == 200
    writer.request("DELETE", "/api/v1/components/forecast/tags", json={"tags": ["prod"]}, headers=AUTH)
    tags = writer.get("/api/v1/query", params={"q": "components where component = 'forecast' | select tags"})
    assert tags.json()["rows"] == [[["gold"]]]
    run_id = a_run_id(bakery)
    assert writer.post(f"/api/v1/runs/{run_id}/notes", json={"text": "oven was cold"}, headers=AUTH).status_code == 200
    card = writer.get(f"/api/v1/runs/{run_id}").json()
    assert any("oven was cold" in str(row) for row in card["rows"])


def test_oql_that_writes_goes_by_post_with_the_token(writer):
    refused = writer.get("/api/v1/query", params={"q": "flag 'loaves-0-north'"})
    assert refused.status_code == 405
    done = writer.post("/api/v1/query", json={"q": "flag 'loaves-0-north'; review"}, headers=AUTH)
    assert done.status_code == 200 and done.json()["oql"] == "review" and done.json()["rows"]


def test_the_pages_forms_write_with_the_token_then_the_cookie(bakery, writer):
    refused = writer.post("/actions/flag", data={"pointers": "loaves-0-north", "back": "/review"},
                          follow_redirects=False)
    assert refused.status_code == 401 and written(bakery)["flags"] == 0
    done = writer.post("/actions/flag", data={"pointers": "loaves-0-north", "back": "/review", "token": TOKEN},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/review"
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    again = writer.post("/actions/flag", data={"pointers": "loaves-1-north", "back": "https://evil.example/"},
                        follow_redirects=False)  # the cookie now carries the token; a foreign `back` goes home
    assert again.status_code == 303 and again.headers["location"] == "/"
    assert written(bakery)["flags"] == 2
    writer.cookies.clear()
    writer.cookies.set("obsql_token", "wrong-token-0123456789")
    assert writer.post("/actions/unflag", data={"pointers": "loaves-1-north"}).status_code == 401


def test_the_consoles_writing_button_needs_the_token(bakery, writer):
    refused = writer.post("/query", data={"q": "tag forecast 'gold'"})
    assert refused.status_code == 401 and "needs the server" in refused.text
    done = writer.post("/query", data={"q": "tag forecast 'gold'", "token": TOKEN})
    assert done.status_code == 200 and written(bakery)["tag_events"] == 1


def test_writes_without_a_token_are_refused_at_start_up(bakery, capsys):
    with pytest.raises(ObsqlError, match="--allow-writes needs a token"):
        ServeConfig(bakery, allow_writes=True)
    assert main(["serve", "--store", str(bakery), "--allow-writes"]) == 2
    assert "--allow-writes needs a token" in capsys.readouterr().err


def test_a_short_token_is_refused(bakery, tmp_path, capsys):
    token_file = tmp_path / "token.txt"
    token_file.write_text("short\n")
    assert main(["serve", "--store", str(bakery), "--allow-writes", "--token-file", str(token_file)]) == 2
    assert "needs 16 or more" in capsys.readouterr().err


def test_a_missing_extra_names_the_pip_command(bakery, monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "uvicorn", None)
    assert main(["serve", "--store", str(bakery)]) == 2
    assert "pip install 'obsql[serve]'" in capsys.readouterr().err


def test_serving_a_missing_store_read_only_fails_at_start_up(tmp_path, capsys):
    assert main(["serve", "--store", str(tmp_path / "nowhere")]) == 2
    assert "error (store)" in capsys.readouterr().err
