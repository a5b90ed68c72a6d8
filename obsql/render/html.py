"""Results as HTML for notebooks: a styled table, a collapsible tree for a trace, a card, an SVG chart for history.

`result_html` is what `Result._repr_html_` returns. Large results show their first rows and say how many there are.
Styles are scoped to the `obsql-result` class and use translucent greys, so light and dark notebook themes both
read well. Cell text is the terminal's (`render.text.cell`), escaped.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Callable

from obsql.result import Result
from obsql.errors import ObsqlError
from obsql.render.svg import history_svg
from obsql.render.text import cell, outputs_line, shows_outputs

MAX_ROWS = 50
MAX_TRACE_RUNS = 500
MAX_CARD_FIELDS = 200
MAX_CELL = 200
# Every rule names the class twice: notebooks style `td, th` themselves (JupyterLab right-aligns them), and a rule of
# higher specificity wins over theirs wherever the page loads them.
STYLE = """<style>
.obsql-result.obsql-result{font-size:12px;overflow-x:auto}
.obsql-result.obsql-result table{border-collapse:collapse;margin:4px 0}
.obsql-result.obsql-result th,.obsql-result.obsql-result td{text-align:left;white-space:nowrap;vertical-align:top}
.obsql-result.obsql-result th{padding:3px 8px;border-bottom:1px solid rgba(127,127,127,.6)}
.obsql-result.obsql-result td{padding:2px 8px;border-bottom:1px solid rgba(127,127,127,.15)}
.obsql-result.obsql-result td.num{text-align:right;font-variant-numeric:tabular-nums}
.obsql-result.obsql-result td.long{white-space:normal;min-width:20em}
.obsql-result tbody tr:nth-child(even){background:rgba(127,127,127,.07)}
.obsql-result .count,.obsql-result .note,.obsql-result .via{color:rgba(127,127,127,1)}
.obsql-result details details{margin-left:1.4em}
.obsql-result details.leaf>summary{list-style:none;margin-left:1.1em}
.obsql-result details.leaf>summary::-webkit-details-marker{display:none}
.obsql-result .stale,.obsql-result .failed{color:#d62728;font-weight:bold}
.obsql-result .passed{color:#2ca02c;font-weight:bold}
.obsql-result.obsql-result pre{margin:2px 0;font-size:11px;text-align:left;white-space:pre}
</style>"""


def result_html(result: Result) -> str:
    """The result as an HTML fragment, in the form that suits its shape."""
    body = _BODIES.get(result.drawn_as, _table)
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in result.notes)
    return f'<div class="obsql-result obsql-{escape(result.shape)}">{STYLE}{body(result)}{notes}</div>'


def _table(result: Result) -> str:
    """The table's head and tail (MAX_ROWS rows in all, as polars shows a frame), and its shape."""
    rows, half = result.rows, MAX_ROWS // 2
    cut = len(rows) > MAX_ROWS
    shown = [*rows[:half], None, *rows[-half:]] if cut else rows
    head = "".join(f"<th>{escape(c)}</th>" for c in result.columns)
    gap = f'<tr><td colspan="{len(result.columns)}" class="note">…</td></tr>'
    body = "".join(gap if row is None else "<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in shown)
    columns = len(result.columns)
    count = f"{len(rows):,} row{'s' if len(rows) != 1 else ''} × {columns} column{'s' if columns != 1 else ''}"
    if cut:
        count += f", first and last {half} shown"
    return f'<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p class="count">{count}</p>'


def _cell(value: Any) -> str:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    text = cell(value, MAX_CELL)
    kind = ' class="num"' if numeric else ' class="long"' if len(text) > 60 else ""
    return f"<td{kind}>{escape(text)}</td>"


@dataclass(frozen=True)
class TreeMarks:
    """How a trace tree shows a component, a run id, a pointer and a run's outputs, each escaped: as text in a
    notebook, as links to their pages in `obsql serve`."""

    component: Callable[[str], str] = escape
    run: Callable[[str], str] = lambda run_id: f"<code>{escape(str(run_id))}</code>"
    pointer: Callable[[str], str] = escape
    outputs: Callable[[list[str]], str] = lambda outputs: escape(outputs_line(outputs))


PLAIN = TreeMarks()


def trace_tree(result: Result, marks: TreeMarks = PLAIN, limit: int = MAX_TRACE_RUNS) -> str:
    """Runs as nested <details>: each run holds the runs it depends on (or feeds, forward); all open at first."""
    rows = [dict(zip(result.columns, row)) for row in result.rows[:limit]]
    parts, open_depths = [], []
    for i, row in enumerate(rows):
        depth = row["depth"]
        while open_depths and open_depths[-1] >= depth:
            parts.append("</details>")
            open_depths.pop()
        has_children = i + 1 < len(rows) and rows[i + 1]["depth"] > depth
        kind = "" if has_children else ' class="leaf"'
        parts.append(f"<details open{kind}><summary>{run_line(row, marks)}</summary>")
        open_depths.append(depth)
    parts += ["</details>"] * len(open_depths)
    if len(result.rows) > len(rows):
        parts.append(f'<p class="count">{len(result.rows):,} runs, first {len(rows)} shown</p>')
    return "".join(parts) or '<p class="count">(no runs)</p>'


def run_line(row: dict, marks: TreeMarks = PLAIN) -> str:
    """One run of a trace tree: component, run, start, status, and what it was reached through."""
    status = escape(row.get("status") or "")
    started = escape(cell(row.get("start_time")))
    line = (f"<b>{marks.component(row['component'])}</b> run {marks.run(row['run_id'])} {started} "
            f'<span class="{status}">{status}</span>')
    if row.get("stale"):
        line += ' <span class="stale">stale</span>'
    if row.get("repeated"):
        line += ' <span class="via">(repeated, see above)</span>'
    if row.get("via"):
        line += f' <span class="via">via</span> {marks.pointer(row["via"])}'
    if shows_outputs(row):
        line += f' <span class="via">outputs</span> {marks.outputs(row["outputs"])}'
    if row.get("stale") and not row.get("repeated") and row.get("stale_reasons"):
        line += "<ul>" + "".join(f"<li>{escape(reason)}</li>" for reason in row["stale_reasons"]) + "</ul>"
    return line


def _card(result: Result) -> str:
    """Each section as a heading over a table of its fields."""
    parts, section = [], None
    for row in result.to_dicts()[:MAX_CARD_FIELDS]:
        if row["section"] != section:
            if section is not None:
                parts.append("</tbody></table>")
            section = row["section"]
            parts.append(f"<h4>{escape(section)}</h4><table><tbody>")
        detail = row["detail"] or ""
        shown = f"<pre>{escape(detail)}</pre>" if "\n" in detail else escape(cell(detail, MAX_CELL))
        parts.append(f"<tr><th>{escape(row['field'])}</th><td>{escape(cell(row['value'], MAX_CELL))}</td><td>{shown}</td></tr>")
    if section is not None:
        parts.append("</tbody></table>")
    if len(result.rows) > MAX_CARD_FIELDS:
        parts.append(f'<p class="count">{len(result.rows):,} fields, first {MAX_CARD_FIELDS} shown</p>')
    return "".join(parts)


def _verdict(result: Result) -> str:
    row = result.to_dicts()[0]
    mark = '<span class="passed">passed</span>' if row["passed"] else '<span class="failed">FAILED</span>'
    return f"<p>{mark} <code>{escape(row['expectation'])}</code> ({escape(str(row['observed']))})</p>"


def _history(result: Result) -> str:
    """The chart, then the rows folded away under it; a table alone when there is nothing to draw."""
    try:
        svg = history_svg(result)
    except ObsqlError:
        return _table(result)
    return f"{svg}<details><summary>{len(result.rows):,} rows</summary>{_table(result)}</details>"


_BODIES: dict[str, Callable[[Result], str]] = {"trace": trace_tree, "card": _card, "expect": _verdict,
                                               "history": _history}
