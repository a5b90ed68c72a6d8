"""The web UI: every page answers, every link on them resolves, what users logged is escaped everywhere (a pointer
named like a script stays text), the trace is a tree of <details>, history has its chart, and the console shows
errors as the command line does."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, urlencode

import pytest

from obsql.engine.session import Engine
from tests.serve.conftest import AUTH
from tests.serve.pipeline import XSS

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
HREF = re.compile(r'href="([^"]*)"')


def last_forecast(root) -> str:
    return Engine.open(root).run("runs of forecast | order by start_time desc | limit 1")[0].rows[0][0]


def pages(root) -> list[str]:
    """A URL of every kind of page, over the bakery store."""
    return ["/", "/?limit=3", "/components", "/components/forecast", f"/runs/{last_forecast(root)}",
            "/pointers?" + urlencode({"p": XSS}), "/trace?" + urlencode({"pointer": XSS}),
            "/trace?" + urlencode({"pointer": "till/orders-0.csv", "forward": "1"}), "/review", "/alerts", "/query",
            "/query?" + urlencode({"q": f"trace '{XSS}'"})]


def test_every_page_answers(baked, reader):
    for url in pages(baked):
        response = reader.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
        assert response.text.startswith("<!doctype html>") and "</html>" in response.text


def test_every_link_resolves(baked, reader):
    """Follow every link from every page, and the links of the pages they lead to (the store is small)."""
    seen, waiting = set(), list(pages(baked))
    while waiting and len(seen) < 400:
        url = waiting.pop()
        if url in seen:
            continue
        seen.add(url)
        response = reader.get(url)
        assert response.status_code == 200, url
        if response.headers["content-type"].startswith("text/html"):
            waiting += [unescape(href) for href in HREF.findall(response.text) if href.startswith("/")]
    assert len(seen) > 30  # runs, components, pointers and traces were reached


def test_a_script_named_pointer_stays_text_on_every_page(bakery, writer):
    assert writer.post("/api/v1/flags", json={"pointers": [XSS]}, headers=AUTH).status_code == 200
    showing = [f"/runs/{last_forecast(bakery)}", "/pointers?" + urlencode({"p": XSS}), "/review",
               "/trace?" + urlencode({"pointer": XSS}), "/trace?" + urlencode({"pointer": "till/orders-3.csv",
                                                                              "forward": "1"}),
               "/query?" + urlencode({"q": f"trace '{XSS}'"}), "/query?" + urlencode({"q": f"inspect '{XSS}'"})]
    for url in showing:
        text = writer.get(url).text
        assert XSS not in text, url
        assert ESCAPED in text, url
    error = writer.get("/query?" + urlencode({"q": f"inspect run '{XSS}'"}))
    assert error.status_code == 404 and XSS not in error.text and ESCAPED in error.text


def test_a_script_in_the_url_stays_text(reader):
    for url in ["/components/" + quote(XSS, safe=""), "/runs/" + quote(XSS, safe=""), "/nothing/" + quote(XSS)]:
        response = reader.get(url)
        assert response.status_code == 404 and XSS not in response.text


def test_the_trace_is_a_tree_of_runs_linked_to_their_pages(baked, reader):
    text = reader.get("/trace?" + urlencode({"pointer": XSS})).text
    assert text.count("<details open") == 4
    assert re.search(r"<details open><summary>.*forecast.*<details open><summary>.*clean.*<details open "
                     r"class=\"leaf\"><summary>.*ingest", text, re.S)
    assert f'href="/runs/{last_forecast(baked)}"' in text


def test_a_components_page_draws_its_history_with_the_sla_bound(reader):
    text = reader.get("/components/forecast").text
    assert "<svg" in text and "stroke-dasharray" in text  # the SLA bound, dashed
    assert "history &#x27;forecast&#x27;" in text  # the OQL it ran, shown and linked


def test_the_console_shows_a_result_and_an_error_as_the_cli_does(reader):
    answered = reader.get("/query?" + urlencode({"q": "components | select component, runs"}))
    assert answered.status_code == 200 and '<a href="/components/forecast">forecast</a>' in answered.text
    assert '<pre class="hl">' in answered.text and '<span class="k">components</span>' in answered.text
    failed = reader.get("/query?" + urlencode({"q": "recnt 5"}))
    assert failed.status_code == 400
    (shown,) = re.findall(r'<pre class="error">(.*?)</pre>', failed.text, re.S)
    assert unescape(shown).splitlines() == ["error (syntax): line 1, column 1: unknown word 'recnt': expected one "
                                            "of: a statement (runs, recent, components, tags, inspect, history, "
                                            "trace, stale, alerts, flag, unflag, tag, note, untag, review, "
                                            "diagnose, compare, sql, expect), ; or the end",
                                            "  recnt 5", "  ^", "hint: did you mean 'recent'?"]


def test_a_read_only_server_shows_no_forms(baked, reader):
    for url in pages(baked):
        assert "<form" not in reader.get(url).text or url.startswith("/query"), url
    assert "run, writing" not in reader.get("/query").text


@pytest.mark.parametrize("url, form", [
    ("/components/forecast", 'action="/actions/tag"'), ("/pointers?p=loaves-0-north", 'action="/actions/flag"'),
    ("/review", 'action="/actions/unflag"'), ("/query", "run, writing"),
])
def test_with_writes_the_pages_carry_forms(writer, url, form):
    assert form in writer.get(url).text


def test_the_run_page_has_a_note_form(bakery, writer):
    assert 'action="/actions/note"' in writer.get(f"/runs/{last_forecast(bakery)}").text
