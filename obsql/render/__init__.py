"""render: results as people read them.

`text` draws tables with aligned columns, traces as indented trees and inspect results as cards (the command line
and the REPL); `formats` writes csv, json (an array of row objects) and markdown; `html` draws results for
notebooks (styled tables, collapsible trace trees, cards) and `svg` draws history charts without a browser. Each
renderer reads a `Result`; none of them queries anything.

Importing this package installs the drawers a `Result` uses to show itself (`obsql.result.DRAWERS`); the HTML and
SVG modules load only when a result is first drawn that way.
"""
from __future__ import annotations

from typing import Any

from obsql.result import DRAWERS, Result


def _text(result: Result) -> str:
    from obsql.render.text import render

    return render(result)


def _html(result: Result) -> str:
    from obsql.render.html import result_html

    return result_html(result)


def _chart(result: Result) -> Any:
    from obsql.render.svg import chart

    return chart(result)


DRAWERS.update(text=_text, html=_html, chart=_chart)
