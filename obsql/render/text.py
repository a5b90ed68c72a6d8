"""Results as terminal text: aligned tables, trace trees like mltrace's CLI, cards, and expect verdicts."""
from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, TextIO

from obsql.result import Result, iso_time

MAX_CELL = 100
MAX_ROWS = 1000
MIN_FITTED_CELL = 26  # a cell cut to fit a screen keeps at least this much: a whole run id
TRACE_OUTPUTS_SHOWN = 8  # names on a trace tree's outputs line; the `outputs` column holds them all


def cell(value: Any, width: int = MAX_CELL) -> str:
    """A value as one line of text, shortened to `width`."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        text = iso_time(value)
    elif isinstance(value, timedelta):  # durations as seconds, everywhere
        text = f"{value.total_seconds():.6g}"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "; ".join(cell(v, width) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={cell(v, width)}" for k, v in value.items())
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(columns: list[str], rows: list[tuple], max_rows: int = MAX_ROWS, header: bool = True,
          width: int | None = None) -> str:
    """An aligned text table with a header rule, and a line saying how many rows there are; with `header` False,
    the rows alone (psql's tuples-only). Given a terminal's `width`, it fits it as DuckDB's duckbox does: columns
    empty in every row are left out, long cells are cut, and middle columns give way to a `…` column; the last line
    names what was left out."""
    shown = rows[:max_rows]
    texts = _texts(shown, width)
    fitted = _fit(columns, shown, texts, width) if width else _Fit(list(range(len(columns))), None, [], [])
    cells = [[line[i] for i in fitted.kept] for line in texts]
    names = [columns[i] for i in fitted.kept]
    if fitted.gap is not None:  # the elided columns' place
        names.insert(fitted.gap, ELIDED)
        for line in cells:
            line.insert(fitted.gap, ELIDED)
    widths = [max([len(c) if header else 0] + [len(r[i]) for r in cells]) for i, c in enumerate(names)]
    numeric = _numeric_columns(shown)
    right = [i in numeric for i in fitted.kept]
    if fitted.gap is not None:
        right.insert(fitted.gap, False)
    lines = [_line(r, widths, right) for r in cells]
    if not header:
        return "\n".join(lines)
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    footer += f", first {max_rows} shown" if len(rows) > max_rows else ""
    if fitted.elided:
        footer += f"; {len(fitted.elided)} columns not shown: {', '.join(fitted.elided)}; -x shows all"
    if fitted.empty:
        footer += f"; empty: {', '.join(fitted.empty)}"
    return "\n".join([_line(names, widths, right), "  ".join("-" * w for w in widths), *lines, footer + ")"])


def _line(texts: list[str], widths: list[int], right: list[bool]) -> str:
    """One line of a table: each text padded to its column's width, numbers' columns on the right."""
    return "  ".join(t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, right)).rstrip()


ELIDED = "…"


@dataclass
class _Fit:
    """Which columns a table shows on a screen: their indexes in order, where the `…` column goes (None when no
    column was elided), and the names of those elided and of those left out for being empty."""

    kept: list[int]
    gap: int | None
    elided: list[str]
    empty: list[str]


def _texts(rows: list[tuple], width: int | None) -> list[list[str]]:
    """Every cell as text, cut shorter on a screen (but never below a run id's length); the numbers of a column of
    floats all get the same count of decimals, so their points line up."""
    cut = MAX_CELL if width is None else min(MAX_CELL, max(MIN_FITTED_CELL, width // 3))
    columns = list(zip(*rows))
    formats = [_float_format(values) for values in columns]
    return [[cell(value, cut) if shown is None or value is None else shown(value) for value, shown in
             zip(row, formats)] for row in rows]


def _numeric_columns(rows: list[tuple]) -> set[int]:
    """The columns whose every value is a number (or empty), which a table right-aligns."""
    return {i for i, values in enumerate(zip(*rows)) if _is_numeric(values)}


def _is_numeric(values: tuple) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def _float_format(values: tuple) -> Callable[[float], str] | None:
    """How to write a column's numbers when it holds floats: fixed decimals, as many as its most precise value
    needs at six significant digits (at most six); None when the column is not one of numbers with a float, or a
    value would need an exponent, so each cell keeps its own form."""
    if not _is_numeric(values) or not any(isinstance(v, float) for v in values):
        return None
    decimals = 0
    for value in values:
        if value is None or not math.isfinite(value) or value == int(value):
            continue
        text = f"{value:.6g}"
        if "e" in text:
            return None
        decimals = max(decimals, len(text.partition(".")[2]))
    return lambda value: f"{value:.{min(decimals, 6)}f}" if math.isfinite(value) else f"{value}"


def _fit(columns: list[str], rows: list[tuple], texts: list[list[str]], width: int) -> _Fit:
    """Choose the columns of a table that fit `width`, working inwards from both ends, mostly from the left."""
    empty = [i for i in range(len(columns)) if rows and all(_is_empty(row[i]) for row in rows)]
    if len(empty) == len(columns):  # nothing but empty columns: show them rather than nothing
        empty = []
    candidates = [i for i in range(len(columns)) if i not in empty]
    widths = {i: max([len(columns[i])] + [len(line[i]) for line in texts]) for i in candidates}
    if sum(widths.values()) + 2 * (len(candidates) - 1) <= width:
        return _Fit(candidates, None, [], [columns[i] for i in empty])
    left, right, used = [], [], len(ELIDED)
    from_left, from_right = iter(candidates), iter(reversed(candidates))
    while len(left) + len(right) < len(candidates):  # three from the left (keys come first), then one from the right
        side, i = (right, next(from_right)) if len(left) % 3 == 0 and len(left) > len(right) * 3 else \
            (left, next(from_left))
        if used + widths[i] + 2 > width and (left or right):
            break
        used += widths[i] + 2
        side.append(i)
    kept = left + right[::-1]
    elided = [columns[i] for i in candidates if i not in kept]
    return _Fit(kept, len(left), elided, [columns[i] for i in empty])


def watch_header(seconds: float) -> str:
    """The line above each round of a watched statement (`obsql --watch`, the shell's `.watch`)."""
    return f"-- every {seconds:g} s, at {iso_time(datetime.now(timezone.utc))} (Ctrl-C stops)"


def fits(result: Result, width: int) -> bool:
    """Whether a result drawn as a table shows every column that holds a value on a screen `width` wide."""
    shown = result.rows[:MAX_ROWS]
    return not _fit(result.columns, shown, _texts(shown, width), width).elided


def terminal_width(stream: TextIO) -> int | None:
    """The width of the terminal `stream` writes to (tables are fitted to it), or None when it is not one: a pipe
    or a file gets every column."""
    isatty = getattr(stream, "isatty", None)
    return shutil.get_terminal_size().columns if isatty is not None and isatty() else None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def lines(result: Result) -> str:
    """Each row as `column = value` lines, records apart (psql's expanded mode, DuckDB's .mode line): every
    column, however many, at any screen width."""
    width = max((len(c) for c in result.columns), default=0)
    records = ["\n".join(f"{name.rjust(width)} = {cell(value, 10 * MAX_CELL)}"
                         for name, value in zip(result.columns, row)) for row in result.rows[:MAX_ROWS]]
    more = [f"({len(result.rows)} rows, first {MAX_ROWS} shown)"] if len(result.rows) > MAX_ROWS else []
    return "\n\n".join(records + more) if records else "(0 rows)"


def tree(result: Result) -> str:
    """A trace as an indented tree: each run under the run that depends on it (or that it feeds, forward); the
    first MAX_ROWS runs, as tables show their first rows (a model's forward trace can hold 200k)."""
    lines = []
    for row in (dict(zip(result.columns, values)) for values in result.rows[:MAX_ROWS]):
        indent = "    " * row["depth"]
        stale = " [stale]" if row.get("stale") else ""
        repeated = " (repeated, see above)" if row.get("repeated") else ""
        started = cell(row.get("start_time"))
        lines.append(f"{indent}{row['component']} run {row['run_id']} ({started}) "
                     f"{row.get('status') or ''}{stale}{repeated}".rstrip())
        if row.get("via"):
            lines.append(f"{indent}    via {row['via']}")
        if shows_outputs(row):
            lines.append(f"{indent}    outputs {outputs_line(row['outputs'])}")
        if row.get("stale") and not row.get("repeated"):
            lines += [f"{indent}    ! {reason}" for reason in row.get("stale_reasons") or []]
    if len(result.rows) > MAX_ROWS:
        lines.append(f"({len(result.rows):,} runs, first {MAX_ROWS:,} shown: `| limit`, `| where` or --format csv "
                     "for the rest)")
    return "\n".join(lines) if lines else "(no runs)"


def shows_outputs(row: dict) -> bool:
    """Whether a trace row's outputs tell more than the pointer it was reached through (and were not shown above)."""
    return bool(row.get("outputs")) and not row.get("repeated") and row["outputs"] != [row.get("via")]


def outputs_line(outputs: list[str], shown: int = TRACE_OUTPUTS_SHOWN) -> str:
    more = f" and {len(outputs) - shown} more" if len(outputs) > shown else ""
    return ", ".join(outputs[:shown]) + more


def card(result: Result) -> str:
    """A card: sections with their fields, values and details."""
    lines, section = [], None
    rows = result.to_dicts()
    width = max((len(r["field"]) for r in rows), default=0)
    for row in rows:
        if row["section"] != section:
            section = row["section"]
            lines.append(f"{section}:")
        value = row["value"] or ""
        detail = row["detail"] or ""
        if "\n" in detail:  # source code: print it as it is, indented
            lines.append(f"  {row['field'].ljust(width)}  {value}")
            lines += [f"    {line}" for line in detail.splitlines()]
            continue
        lines.append(f"  {row['field'].ljust(width)}  {value}{'  ' + cell(detail, 120) if detail else ''}".rstrip())
    return "\n".join(lines)


def verdict(result: Result) -> str:
    row = result.to_dicts()[0]
    mark = "ok    " if row["passed"] else "FAILED"
    return f"{mark} {row['expectation']}  ({row['observed']})"


_SHAPES = {"trace": tree, "card": card, "expect": verdict}


def render(result: Result, header: bool = True, width: int | None = None) -> str:
    """A result as text, in the form that suits its shape (`header` False: a table's rows alone; `width`: a
    table fitted to a screen that wide)."""
    draw = _SHAPES.get(result.drawn_as)
    return draw(result) if draw is not None else table(result.columns, result.rows, header=header, width=width)
