"""Colour for a terminal: table headers, trace trees' stale marks and reasons, and errors with their caret and hint.

Renderers write plain text; these functions add ANSI colour to what they wrote, only for a terminal, never when
`NO_COLOR` is set (no-color.org) or `TERM` is dumb, so pipes, files, csv and json stay plain.
"""
from __future__ import annotations

import os
import re
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "yellow": "33", "cyan": "36", "bold red": "1;31"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wanted(stream: TextIO) -> bool:
    """Whether text written to `stream` should be coloured."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str) -> str:
    return f"\x1b[{_CODES[style]}m{text}\x1b[0m" if text else text


def plain(text: str) -> str:
    """The text without colour (what a screen shows: its width)."""
    return _ANSI.sub("", text)


def colour_result(text: str, drawn_as: str, fmt: str) -> str:
    """A rendered result, coloured: a table's header bold and its rule dim; a trace's stale runs and reasons."""
    if fmt != "table":
        return text
    lines = text.split("\n")
    if drawn_as == "table" and len(lines) >= 2 and set(lines[1]) <= {"-", " "} and lines[1]:
        return "\n".join([paint(lines[0], "bold"), paint(lines[1], "dim"), *lines[2:]])
    if drawn_as == "trace":
        return "\n".join(_trace_line(line) for line in lines)
    return text


def _trace_line(line: str) -> str:
    if line.lstrip().startswith("! "):
        return paint(line, "yellow")
    return line.replace(" [stale]", " " + paint("[stale]", "red"))


def colour_error(text: str) -> str:
    """An error as render_text wrote it: its first line red, the caret red, the hint cyan."""
    lines = text.split("\n")
    coloured = [paint(lines[0], "bold red")]
    for line in lines[1:]:
        if line.strip() and set(line.strip()) <= {"^"}:
            coloured.append(paint(line, "red"))
        elif line.startswith("hint: "):
            coloured.append(paint(line, "cyan"))
        else:
            coloured.append(line)
    return "\n".join(coloured)
