"""A trace drawn as a tree in the terminal: a forward trace of a widely read pointer (an Arrow-backed result of
thousands of readers) shows its first runs and says how many there are, as tables do."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa

from obsql.render import text
from obsql.result import TRACE_COLUMNS, ArrowRows, Result

START = datetime(2025, 6, 1, tzinfo=timezone.utc)


def readers(count: int) -> Result:
    rows = [(0, "tagger", f"run-{i:04d}", START, START, "ok", False, None, "lexicon.txt", None, False, None)
            for i in range(count)]
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(TRACE_COLUMNS)})
    return Result(list(TRACE_COLUMNS), ArrowRows(table), shape="trace")


def test_a_long_trace_shows_its_first_runs_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(text, "MAX_ROWS", 3)
    drawn = text.tree(readers(8)).splitlines()
    assert [line.split()[2] for line in drawn if line.startswith("tagger")] == ["run-0000", "run-0001", "run-0002"]
    assert drawn[-1].startswith("(8 runs, first 3 shown")


def test_a_short_trace_is_drawn_whole():
    drawn = text.tree(readers(2))
    assert drawn.count("tagger run") == 2 and "shown" not in drawn
