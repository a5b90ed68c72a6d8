"""Results as notebook HTML, checked by parsing it: which elements there are, what they hold, how they nest."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from obsql.result import Result
from obsql.render import html as html_module
from obsql.render.html import result_html

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: "Element | None") -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.text = ""

    def all(self, tag: str) -> list["Element"]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found += child.all(tag)
        return found

    def content(self) -> str:
        return self.text + "".join(child.content() for child in self.children)


class TreeBuilder(HTMLParser):
    """Parses HTML into Elements, checking every element that is opened is closed in order."""

    VOID = {"br", "img", "hr", "meta", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.root = self.current = Element("root", {}, None)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        self.current = self.current.parent

    def handle_data(self, data):
        if self.current.tag != "style":
            self.current.text += data


def parse(text: str) -> Element:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.current is builder.root, "an element was left open"
    [div] = builder.root.children
    assert div.tag == "div" and "obsql-result" in div.attrs["class"]
    return div


def test_a_table_has_a_header_a_row_per_row_and_a_count():
    div = parse(result_html(Result(["component", "runs", "note"], [("etl", 3, "<b>&"), ("clean", 1, None)])))
    [table] = div.all("table")
    assert [th.content() for th in table.all("th")] == ["component", "runs", "note"]
    rows = [[td.content() for td in tr.all("td")] for tr in table.all("tbody")[0].all("tr")]
    assert rows == [["etl", "3", "<b>&"], ["clean", "1", ""]]  # text escaped, shown as typed
    assert table.all("td")[1].attrs["class"] == "num"
    assert [p.content() for p in div.all("p")] == ["2 rows × 3 columns"]


def test_a_large_result_shows_its_head_and_tail_and_its_shape():
    div = parse(result_html(Result(["n"], [(i,) for i in range(1234)])))
    rows = [[td.content() for td in tr.all("td")] for tr in div.all("tbody")[0].all("tr")]
    half = html_module.MAX_ROWS // 2
    assert rows == [[str(i)] for i in range(half)] + [["…"]] + [[str(i)] for i in range(1234 - half, 1234)]
    assert div.all("p")[0].content() == f"1,234 rows × 1 column, first and last {half} shown"


def test_a_notebook_keeps_the_html_and_a_short_text_not_every_row_as_text():
    bundle = Result(["n", "label"], [(i, "x" * 50) for i in range(1000)])._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div class="obsql-result') and len(bundle["text/plain"]) < 100
    assert bundle["text/plain"] == "<Result: 1,000 rows x 2 columns: n, label>"


def test_notebook_styles_outrank_the_notebooks_own_and_keep_text_left_and_code_indented():
    style = html_module.STYLE
    assert ".obsql-result.obsql-result th,.obsql-result.obsql-result td{text-align:left" in style
    assert "white-space:pre" in style and "overflow-x:auto" in style


def test_a_trace_is_a_tree_of_details_nested_as_the_runs_depend():
    columns = ["depth", "component", "run_id", "start_time", "status", "stale", "stale_reasons", "via", "repeated"]
    rows = [(0, "infer", "r3", T0, "ok", True, ["train ran 39 days ago"], "pred-1", False),
            (1, "train", "r2", T0, "ok", False, [], "model.pkl", False),
            (2, "clean", "r1", T0, "ok", False, [], "clean.parquet", False),
            (1, "features", "r4", T0, "failed", False, [], "features.parquet", False)]
    div = parse(result_html(Result(columns, rows, shape="trace")))
    [top] = [child for child in div.children if child.tag == "details"]
    assert top.tag == "details" and "open" in top.attrs
    assert [d.all("b")[0].content() for d in top.all("details")] == ["infer", "train", "clean", "features"]
    train, features = [c for c in top.children if c.tag == "details"]
    assert [c.all("b")[0].content() for c in train.children if c.tag == "details"] == ["clean"]
    assert features.attrs.get("class") == "leaf" and not [c for c in features.children if c.tag == "details"]
    assert [li.content() for li in top.all("li")] == ["train ran 39 days ago"]
    assert [s.content() for s in top.all("span") if s.attrs.get("class") == "stale"] == ["stale"]


def test_a_card_is_a_heading_and_a_table_per_section():
    rows = [("run", "id", "r1", None), ("run", "status", "ok", None), ("code", "source", "", "def f():\n    pass")]
    div = parse(result_html(Result(["section", "field", "value", "detail"], rows, shape="card")))
    assert [h.content() for h in div.all("h4")] == ["run", "code"]
    assert [len(t.all("tr")) for t in div.all("table")] == [2, 1]
    assert div.all("pre")[0].content() == "def f():\n    pass"


@pytest.mark.parametrize(("passed", "mark"), [(True, "passed"), (False, "FAILED")])
def test_an_expect_says_whether_it_held(passed, mark):
    result = Result(["expectation", "passed", "observed"], [("expect runs is empty", passed, "0 row(s)")],
                    shape="expect", passed=passed)
    [span] = parse(result_html(result)).all("span")
    assert span.content() == mark


def test_history_is_a_chart_with_the_rows_folded_under_it():
    rows = [(T0 + timedelta(days=i), f"r{i}", 0.8 + i / 100) for i in range(5)]
    div = parse(result_html(Result(["start_time", "run_id", "accuracy"], rows, shape="history")))
    [svg] = div.all("svg")
    assert len(svg.all("path")) == 1
    [details] = div.all("details")
    assert details.all("summary")[0].content() == "5 rows" and details.all("table")


def test_a_shape_without_its_columns_falls_back_to_a_table():
    div = parse(result_html(Result(["x"], [(1,)], shape="trace")))
    assert div.all("table") and not div.all("details")


def test_notes_are_shown():
    result = Result(["x"], [(1,)], notes=["labels arrive late"])
    assert "labels arrive late" in [p.content() for p in parse(result_html(result)).all("p")]


def test_real_results_render(store_path):
    from obsql.engine.session import Engine

    engine = Engine.open(store_path)
    for text in ["runs", "trace 'pred-1'", "inspect 'pred-1'", "history infer metric accuracy every 1 day",
                 "expect runs is empty", "compare infer with infer", "components"]:
        parse(result_html(engine.run(text)[-1]))
