"""Sparklines: a metric's history as one line of Unicode block characters, for the shell's history view."""
from __future__ import annotations

from typing import Sequence

from obsql.result import Result
from obsql.errors import ObsqlError
from obsql.render.svg import metric_series

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int) -> str:
    """`values` squeezed into at most `width` characters (means of neighbours), low to high as ▁ to █; a blank
    where a value is missing."""
    squeezed = _squeeze(list(values), width)
    present = [v for v in squeezed if v is not None]
    if not present:
        return ""
    lo, hi = min(present), max(present)
    steps = len(BLOCKS) - 1
    return "".join(" " if v is None else BLOCKS[round((v - lo) / (hi - lo) * steps) if hi > lo else steps // 2]
                   for v in squeezed)


def _squeeze(values: list[float | None], width: int) -> list[float | None]:
    if len(values) <= width:
        return values
    squeezed = []
    for i in range(width):
        chunk = [v for v in values[i * len(values) // width:(i + 1) * len(values) // width] if v is not None]
        squeezed.append(sum(chunk) / len(chunk) if chunk else None)
    return squeezed


def sparklines(result: Result, width: int) -> list[str]:
    """One line per metric of a history result: its name, its sparkline, and its lowest, highest and last value."""
    try:
        _, series = metric_series(result)
    except ObsqlError:
        return []
    if not series:
        return []
    name_width = max(len(s.name) for s in series)
    line_width = max(10, width - name_width - 40)
    lines = []
    for one in series:
        present = [v for v in one.values if v is not None]
        if present:
            lines.append(f"{one.name.ljust(name_width)}  {sparkline(one.values, line_width)}  "
                         f"min {min(present):.4g}  max {max(present):.4g}  last {present[-1]:.4g}")
    return lines
