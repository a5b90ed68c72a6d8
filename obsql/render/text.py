"""Results as terminal text: aligned tables, trace trees like mltrace's CLI, cards, and expect verdicts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from obsql.result import Result

MAX_CELL = 100
MAX_ROWS = 1000
TRACE_OUTPUTS_SHOWN = 8  # names on a trace tree's outputs line; the `outputs` column holds them all


def cell(value: Any, width: int = MAX_CELL) -> str:
    """A value as one line of text, shortened to `width`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
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


def table(columns: list[str], rows: list[tuple], max_rows: int = MAX_ROWS, header: bool = True) -> str:
    """An aligned text table with a header rule, and a line saying how many rows there are; with `header` False,
    the rows alone (psql's tuples-only)."""
    shown = rows[:max_rows]
    cells = [[cell(v) for v in row] for row in shown]
    widths = [max([len(c) if header else 0] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    if not header:
        return "\n".join(lines)
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    footer += f", first {max_rows} shown)" if len(rows) > max_rows else ")"
    return "\n".join(["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
                      "  ".join("-" * w for w in widths), *lines, footer])


def tree(result: Result) -> str:
    """A trace as an indented tree: each run under the run that depends on it (or that it feeds, forward)."""
    lines = []
    for row in result.to_dicts():
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


def render(result: Result, header: bool = True) -> str:
    """A result as text, in the form that suits its shape (`header` False: a table's rows alone)."""
    draw = _SHAPES.get(result.drawn_as)
    return draw(result) if draw is not None else table(result.columns, result.rows, header=header)
