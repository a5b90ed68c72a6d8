"""How the shell prints a result in each mode: text forms from `render`, plus a sparkline per metric for history."""
from __future__ import annotations

from obsql.result import Result
from obsql.render.formats import format_result
from obsql.repl.sparkline import sparklines


def result_text(result: Result, mode: str, width: int) -> str:
    """The result as the shell prints it in `mode` (table, csv, json or markdown) on a screen `width` wide."""
    text = format_result(result, mode)
    if mode == "table" and result.shape == "history":
        lines = sparklines(result, width)
        if lines:
            text += "\n\n" + "\n".join(lines)
    return text
