"""Tables fitted to a screen (duckbox's way: empty columns out, long cells cut, middle columns elided and named)
and the expanded `line` form, on a wide result of a lab-assay pipeline: ids, long free text, mostly empty columns."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.render.formats import format_result
from obsql.render.text import ELIDED, table
from obsql.repl.display import result_text
from obsql.result import Result

COLUMNS = ["sample_id", "assay", "plate", "well", "reading", "operator", "flag_reason", "comment", "instrument_serial"]
ROWS = [(f"S-{i:05d}", "elisa", f"P{i // 96}", f"A{i % 12}", 0.1 * i, "kim", None, "repeat " * 20, "SN-88231-XK")
        for i in range(5)]
WIDE = Result(COLUMNS, ROWS)


def test_a_table_that_fits_is_left_whole():
    assert table(COLUMNS, ROWS, width=1000).splitlines()[0].split() == [c for c in COLUMNS if c != "flag_reason"]
    assert table(COLUMNS, ROWS).splitlines()[0].split() == COLUMNS  # not on a screen: every column


@pytest.mark.parametrize("width", [40, 60, 80, 100])
def test_a_wide_table_fits_the_screen_and_says_what_it_left_out(width):
    text = table(COLUMNS, ROWS, width=width)
    *body, footer = text.splitlines()
    assert all(len(line) <= width for line in body)
    header = body[0].split()
    assert header[0] == "sample_id" and ELIDED in header  # keys first; the gap marked
    assert "flag_reason" not in header and "empty: flag_reason" in footer
    not_shown = footer.split("columns not shown: ")[1].split(";")[0].split(", ")
    assert sorted(not_shown + [h for h in header if h != ELIDED] + ["flag_reason"]) == sorted(COLUMNS)
    assert footer.startswith("(5 rows; ") and "-x shows all" in footer


def test_long_cells_are_cut_before_any_column_is_elided():
    *body, footer = table(COLUMNS, ROWS, width=140).splitlines()
    assert all(len(line) <= 140 for line in body) and ELIDED not in body[0].split()
    assert body[2].split()[-2].endswith(ELIDED) and footer == "(5 rows; empty: flag_reason)"


def test_line_form_carries_every_column_of_every_row():
    records = format_result(WIDE, "line").split("\n\n")
    assert len(records) == 5
    assert [line.split(" = ")[0].strip() for line in records[0].splitlines()] == COLUMNS
    assert "repeat repeat" in records[0] and "sample_id = S-00000" in records[0]


def test_machine_formats_keep_every_column_at_any_width():
    for fmt in ("csv", "json", "markdown"):
        assert all(column in format_result(WIDE, fmt, width=20) for column in COLUMNS)


def test_the_shell_expands_a_few_rows_too_wide_and_keeps_long_results_as_tables():
    assert " = " in result_text(WIDE, "table", 80, "auto")
    assert "columns not shown" in result_text(Result(COLUMNS, ROWS * 10), "table", 80, "auto")  # 50 rows: a table
    assert " = " not in result_text(WIDE, "table", 1000, "auto")  # fits: a table
    assert " = " in result_text(WIDE, "table", 1000, "on")
    assert "columns not shown" in result_text(WIDE, "table", 80, "off")
    assert result_text(WIDE, "table", None, "auto").splitlines()[0].split() == COLUMNS  # not a screen: every one


@settings(deadline=None, max_examples=200)
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=6),
       st.integers(min_value=30, max_value=200), st.integers(min_value=0, max_value=60))
def test_fitting_never_loses_a_column_without_naming_it(n_columns, n_rows, width, cell_length):
    columns = [f"column_{i}" for i in range(n_columns)]
    rows = [tuple("v" * cell_length for _ in columns) for _ in range(n_rows)]
    *body, footer = table(columns, rows, width=width).splitlines()
    shown = [name for name in body[0].split() if name != ELIDED]
    named = footer.split("columns not shown: ")[1].split(";")[0].split(", ") if "not shown" in footer else []
    empty = footer.split("empty: ")[1].rstrip(")").split(", ") if "empty: " in footer else []
    assert sorted(shown + named + empty) == sorted(columns)
    assert all(len(line) <= width for line in body) or len(shown) == 1


def test_numbers_sit_on_the_right_with_their_points_in_line():
    text = table(["sensor", "reading", "count", "note"],
                 [("t-1", 0.91234, 3, "ok"), ("t-22", 1.0, 120, None), ("t-3", None, None, "gap"), ("t-4", 0.5, 7, "")])
    assert text.splitlines()[:6] == [
        "sensor  reading  count  note",
        "------  -------  -----  ----",
        "t-1     0.91234      3  ok",
        "t-22    1.00000    120",
        "t-3                     gap",
        "t-4     0.50000      7",
    ]


@pytest.mark.parametrize(("values", "texts"), [
    ((1e-09, 2.0), ["1e-09", "2"]),  # a value that needs an exponent: each keeps its own form
    ((True, False), ["true", "false"]),  # booleans are not numbers here
    ((float("nan"), 1.5), ["nan", "1.5"]),
])
def test_columns_that_cannot_share_decimals_keep_each_value_s_form(values, texts):
    body = table(["v"], [(v,) for v in values]).splitlines()[2:-1]
    assert [line.strip() for line in body] == texts
