"""The pages' HTML, built by small functions: the layout, links to other pages, tables, cards, trace trees, charts
and forms. Every text that came from the store or the request is escaped here, once, where it is put in the page;
cell text is the terminal's (`render.text.cell`), history charts are obsql's SVG (`render.svg`)."""
from __future__ import annotations

import re
from html import escape
from typing import Any, Iterable
from urllib.parse import quote, urlencode

from obsql.errors import ObsqlError
from obsql.render.html import TreeMarks, trace_tree
from obsql.render.svg import history_svg
from obsql.render.text import cell
from obsql.result import Result

MAX_ROWS = 500  # rows a page's table shows (it says when there are more)
MAX_TREE = 500  # runs a trace tree shows
RUN_COLUMNS = {"run_id", "parent_run_id", "dep_run_id"}
POINTER_COLUMNS = {"pointer", "via"}
_RUN_ID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b")  # a ULID in a card's text
NAV = (("/", "Runs"), ("/components", "Components"), ("/review", "Review"), ("/alerts", "Alerts"),
       ("/query", "Query"), ("/api/v1/openapi.json", "API"))
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#eee;padding:8px 16px;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}
header a{color:#cfd8dc;text-decoration:none}header a:hover{color:#fff}header b{color:#fff}
header .mode{margin-left:auto;font-size:12px;color:#b0bec5}
main{padding:12px 16px;max-width:1400px}
h1{font-size:20px;margin:8px 0 12px}h2{font-size:16px;margin:20px 0 6px}
table{border-collapse:collapse;margin:4px 0;background:#fff}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e0e0e0;vertical-align:top}
th{border-bottom:1px solid #999;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f5f5f5}
a{color:#1565c0}code,pre,textarea{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#fff;border:1px solid #e0e0e0;padding:6px 8px;overflow-x:auto}
.note,.count,.via{color:#666}.stale,.failed,.error{color:#c62828}.ok,.passed{color:#2e7d32}
pre.error{border-color:#c62828;white-space:pre-wrap}
details details{margin-left:1.5em}details>summary{cursor:pointer;padding:1px 0}
details.leaf>summary{list-style:none;margin-left:1.1em}details.leaf>summary::-webkit-details-marker{display:none}
form.inline{display:inline-flex;gap:6px;align-items:center;margin:4px 12px 4px 0}
form.inline input[type=text]{width:16em}textarea{width:100%;max-width:900px;height:7em}
.hl .k,.hl .kt{color:#7b1fa2;font-weight:bold}.hl .s1{color:#2e7d32}.hl .n,.hl .nv{color:#1565c0}
.hl .m,.hl .mo{color:#ad1457}.hl .c1{color:#888}
"""


def page(title: str, body: str, writes: bool) -> str:
    """A whole page: the navigation, the title, the body (already HTML)."""
    links = "".join(f'<a href="{href}">{text}</a>' for href, text in NAV)
    mode = "writes allowed (with the token)" if writes else "read-only"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{escape(title)} · obsql</title><style>{STYLE}</style></head><body>"
            f'<header><b>obsql</b>{links}<span class="mode">{mode}</span></header>'
            f"<main><h1>{escape(title)}</h1>{body}</main></body></html>")


# -- links ---------------------------------------------------------------------------------------------------------
def run_url(run_id: str) -> str:
    return "/runs/" + quote(str(run_id), safe="")


def component_url(name: str) -> str:
    return "/components/" + quote(name, safe="")


def pointer_url(pointer: str) -> str:
    return "/pointers?" + urlencode({"p": pointer})


def trace_url(pointer: str, forward: bool = False) -> str:
    return "/trace?" + urlencode({"pointer": pointer, **({"forward": "1"} if forward else {})})


def query_url(text: str) -> str:
    return "/query?" + urlencode({"q": text})


def link(href: str, text: Any) -> str:
    return f'<a href="{escape(href)}">{escape(cell(text))}</a>'


def oql_line(text: str) -> str:
    """The OQL a section shows, linked to the console with it filled in."""
    return f'<p class="note">OQL: <a href="{escape(query_url(text))}"><code>{escape(text)}</code></a></p>'


# -- results -------------------------------------------------------------------------------------------------------
def value_html(column: str, value: Any) -> str:
    """A cell: run ids link to their run, components to their page, pointers to their card."""
    if value is None or value == "":
        return ""
    if column in RUN_COLUMNS:
        return link(run_url(value), value)
    if column == "component":
        return link(component_url(value), value)
    if column in POINTER_COLUMNS:
        return link(pointer_url(value), value)
    if column == "outputs" and isinstance(value, list):
        return ", ".join(link(pointer_url(p), p) for p in value)
    return escape(cell(value))


def table_html(result: Result, max_rows: int = MAX_ROWS) -> str:
    if not result.columns:
        return '<p class="count">(no columns)</p>'
    head = "".join(f"<th>{escape(column)}</th>" for column in result.columns)
    rows = "".join("<tr>" + "".join(_td(column, value) for column, value in zip(result.columns, row)) + "</tr>"
                   for row in result.rows[:max_rows])
    count = f"{len(result.rows):,} row{'' if len(result.rows) == 1 else 's'}"
    if len(result.rows) > max_rows:
        count += f", first {max_rows:,} shown"
    return f'<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><p class="count">{count}</p>'


def _td(column: str, value: Any) -> str:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    return f'<td{" class=num" if numeric else ""}>{value_html(column, value)}</td>'


def card_html(result: Result) -> str:
    """A card (inspect): a table per section; inputs and outputs link to their cards, run ids to their runs."""
    parts, section = [], None
    for row in result.to_dicts():
        if row["section"] != section:
            parts.append("</tbody></table>" if section is not None else "")
            section = row["section"]
            parts.append(f"<h2>{escape(section)}</h2><table><tbody>")
        field = link(pointer_url(row["field"]), row["field"]) if section in ("inputs", "outputs") else \
            link(component_url(row["field"]), row["field"]) if section == "dependencies" else escape(row["field"])
        parts.append(f"<tr><th>{field}</th><td>{_linked_ids(row['value'])}</td><td>{_detail(row['detail'])}</td></tr>")
    parts.append("</tbody></table>" if section is not None else '<p class="count">(nothing)</p>')
    return "".join(parts)


def _linked_ids(value: Any) -> str:
    """A card's text with each run id in it linked to its run."""
    text, parts, at = cell(value) if value is not None else "", [], 0
    for match in _RUN_ID.finditer(text):
        parts += [escape(text[at:match.start()]), link(run_url(match.group()), match.group())]
        at = match.end()
    return "".join(parts) + escape(text[at:])


def _detail(detail: str | None) -> str:
    if not detail:
        return ""
    return f"<pre>{escape(detail)}</pre>" if "\n" in detail else _linked_ids(detail)


def _linked_outputs(outputs: list[str]) -> str:
    return ", ".join(link(pointer_url(p), p) for p in outputs[:5]) + (" …" if len(outputs) > 5 else "")


LINKED = TreeMarks(component=lambda name: link(component_url(name), name),
                   run=lambda run_id: link(run_url(run_id), run_id),
                   pointer=lambda pointer: link(pointer_url(pointer), pointer), outputs=_linked_outputs)


def tree_html(result: Result) -> str:
    """A trace as nested <details>, open at first, each component, run and pointer linked to its page."""
    return f'<div class="tree">{trace_tree(result, LINKED, MAX_TREE)}</div>'


def chart_html(result: Result) -> str:
    """obsql's SVG chart of a history result; nothing when it has nothing to plot."""
    try:
        return f"<div>{history_svg(result)}</div>"
    except ObsqlError:
        return ""


def result_html(result: Result) -> str:
    """A result in the form its shape suits: a tree, a card, a chart over its table, or a table."""
    shape = result.drawn_as
    if shape == "trace":
        return tree_html(result)
    if shape == "card":
        return card_html(result)
    if shape == "expect":
        row = result.to_dicts()[0]
        verdict = '<span class="passed">passed</span>' if row["passed"] else '<span class="failed">FAILED</span>'
        return f"<p>{verdict} <code>{escape(row['expectation'])}</code> ({escape(str(row['observed']))})</p>"
    body = (chart_html(result) if shape == "history" else "") + table_html(result)
    return body + "".join(f'<p class="note">note: {escape(note)}</p>' for note in result.notes)


def error_html(text: str) -> str:
    """An error as the command line prints it (with its caret and hint)."""
    return f'<pre class="error">{escape(text)}</pre>'


# -- forms ---------------------------------------------------------------------------------------------------------
def form(action: str, back: str, button: str, fields: Iterable[tuple[str, str]] = (),
         hidden: dict[str, str] | None = None) -> str:
    """A write form: fixed values (`hidden`), text fields to fill (name, label), the token, and the page to come
    back to once written."""
    values = {"back": back, **(hidden or {})}
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in values.items())
    inputs += "".join(f'<label>{escape(label)} <input type="text" name="{escape(name)}" required></label>'
                      for name, label in fields)
    return (f'<form class="inline" method="post" action="{escape(action)}">{inputs}'
            f'<input type="password" name="token" placeholder="token (kept after a first write)" '
            f'autocomplete="current-password"><button type="submit">{escape(button)}</button></form>')
