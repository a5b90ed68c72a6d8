"""The Enter rule as a table of (buffer text, whether Enter runs it)."""
from __future__ import annotations

import pytest

from obsql.repl.enter import open_quote, runs_on_enter
from obsql.repl.prompt import continuation_text

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


@pytest.mark.parametrize(("text", "quote"), [
    ("runs of clean", ""),
    ("trace 'pred-1", "'"),
    ("trace 'it''s", "'"),  # a doubled quote stands for one inside: still open
    ("trace 'it''s'", ""),
    ('runs | select "odd name', '"'),
    ("runs # it's a comment\n", ""),  # a quote inside a comment opens nothing
    ("trace '# not a comment", "'"),
    ("sql select 'a' || \"b\" || 'c", "'"),
])
def test_open_quote_names_the_quote_a_line_ends_inside(text, quote):
    assert open_quote(text) == quote


@pytest.mark.parametrize(("before", "prompt"), [
    ("runs of clean", "      ...> "),
    ("trace 'pred-1\nwith more", "      ..'> "),
    ('runs | select "a', '      .."> '),
])
def test_the_continuation_prompt_shows_an_open_quote(before, prompt):
    assert continuation_text(before, 11) == prompt
