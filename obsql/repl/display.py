"""How the shell prints a result in each mode: text forms from `render`, tables fitted to the screen (or expanded,
psql's `\\x`), plus a sparkline per metric for history."""
from __future__ import annotations

from obsql.result import Result
from obsql.render.formats import format_result
from obsql.render.text import fits
from obsql.repl.sparkline import sparklines

EXPANDED = ("auto", "on", "off")
SPARKLINE_WIDTH = 80  # what sparklines fill when results do not go to a screen
AUTO_EXPANDED_ROWS = 20  # `.x auto` expands a table too wide for the screen when it has at most this many rows


def result_text(result: Result, mode: str, width: int | None, expanded: str = "off") -> str:
    """The result as the shell prints it in `mode` (table, csv, json, markdown or line) on a screen `width` wide
    (None: not a screen, every column); in table mode, `expanded` on prints rows as `column = value` lines, auto
    does so for a few rows too wide for the screen."""
    if mode == "table" and result.drawn_as == "table" and _expands(result, width, expanded):
        mode = "line"
    text = format_result(result, mode, width=width)
    if mode == "table" and result.shape == "history":
        lines = sparklines(result, width or SPARKLINE_WIDTH)
        if lines:
            text += "\n\n" + "\n".join(lines)
    return text


def _expands(result: Result, width: int | None, expanded: str) -> bool:
    if expanded == "auto":
        if width is None:
            return False
        return 0 < len(result.rows) <= AUTO_EXPANDED_ROWS and not fits(result, width)
    return expanded == "on"
