"""Inputs at the edges, as fuzzing found them: numbers too large, times out of range, nesting too deep, assertions
over no rows. Each is an ObsqlError with its position, never a Python error escaping as `error (internal)`."""
from __future__ import annotations

import pytest

from obsql.cli import EXIT_BAD_INPUT, main
from obsql.errors import ObsqlError
from tests.oql.conftest import answer

DEEP = 150  # past the parser's nesting limit of 100

# (query, kind, what the message says, column of the caret)
REFUSED = [
    ("runs since 1e309 days ago", "syntax", "the number 1e309 is too large", 12),
    ("runs | where end_time - start_time > 1e308 minutes", "input", "is longer than obsql reads (10,000 years)", 38),
    ("runs since 2147483648 months ago", "input", "2147483648 months is longer than obsql reads", 12),
    ("runs since 9000 years ago", "input", "is outside the years 1 to 9999", 12),
    ("history train metric accuracy every 1e300 seconds", "input", "is longer than obsql reads", 37),
    ("runs | where " + "not " * DEEP + "stale", "syntax", "nests deeper than 100 levels", None),
    ("runs | where " + "-" * DEEP + "1 > 0", "syntax", "nests deeper than 100 levels", None),
    ("runs | where " + "abs(" * DEEP + "1" + ")" * DEEP + " > 0", "syntax", "nests deeper than 100 levels", None),
]


@pytest.mark.parametrize("text, kind, message, column", REFUSED, ids=[case[0][:60] for case in REFUSED])
def test_out_of_range_input_is_an_obsql_error_with_its_position(small, text, kind, message, column):
    with pytest.raises(ObsqlError) as caught:
        answer(small, text)
    assert caught.value.kind == kind and message in caught.value.message
    assert caught.value.line == 1 and (column is None or caught.value.column == column)


@pytest.mark.parametrize("text", [case[0] for case in REFUSED[:2]])
def test_the_command_line_reports_them_as_bad_input(small, capsys, text):
    assert main(["--store", str(small.path), "-c", text]) == EXIT_BAD_INPUT
    assert "internal" not in capsys.readouterr().err


def test_nesting_up_to_the_limit_still_runs(small):
    assert answer(small, "runs of etl | where " + "not " * 97 + "stale").rows  # an odd number: not stale


@pytest.mark.parametrize("text, passed, observed", [
    ("expect runs of etl | duration_s < 600", True, "rows = 1, failing = 0"),
    ("expect runs | duration_s < 0", False, "failing = 1"),
    ("expect history train metric accuracy since @2030-01-01 | accuracy > 0.5", False, "rows = 0, failing = 0"),
])
def test_a_condition_without_aggregates_must_hold_on_every_row_and_there_must_be_rows(small, text, passed, observed):
    result = answer(small, text)
    assert result.passed is passed and observed in result.rows[0][2]
