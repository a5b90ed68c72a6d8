"""The Enter rule as a table of (buffer text, whether Enter runs it)."""
from __future__ import annotations

import pytest

from obsql.repl.enter import runs_on_enter

CASES = [
    ("", True),  # a blank line just gives a new prompt
    ("   \n  ", True),
    ("runs", False),
    ("runs;", True),
    ("runs ;  \n", True),
    ("runs of clean\n| limit 3", False),
    ("runs of clean\n| limit 3;", True),
    ("runs; recent", False),
    ("runs; recent;", True),
    ("runs; # a comment after the end", True),
    ("runs # a comment hiding the ;", False),
    ("trace 'pred-1", False),  # an open quote
    ("trace 'a;", False),  # the ; is inside the quote
    ("trace 'a;'", False),
    ("trace 'a;';", True),
    ("trace 'it''s';", True),  # '' stands for a quote inside
    ("trace 'it''s;", False),
    ('runs | select "a;b"', False),
    ('runs | select "a;b";', True),
    ("sql select 1", False),
    ("sql select 1;", True),
    ("sql select ';'", False),
    ("sql select ';';", True),
    ("expect sql select 1 is empty;", True),
    (".mode csv", True),  # a one-line dot command runs as it is
    ("  .help  ", True),
    (".mode\ncsv", False),
    ("help trace", True),  # help without the dot, as psql takes it
    ("HELP", True),
    ("helpful", False),
    ("exit", True),
    ("QUIT", True),
    ("exit now", False),
]


@pytest.mark.parametrize(("text", "runs"), CASES)
def test_enter_runs_only_finished_statements(text, runs):
    assert runs_on_enter(text) is runs
