"""A script split into its statements, each alone at its own place: what `--no-bail` runs one at a time."""
from __future__ import annotations

import pytest

from obsql.errors import ObsqlError
from obsql.grammar.parser import parse, statements_apart

SCRIPTS = [
    "runs; recent 2",
    "runs of etl where notes = 'a; b'; # a comment; with a semicolon\ntags",
    "sql select ';' as s;\nflag 'x;y', 'z'\n;\n;",
    "  expect stale is empty;\n\ntrace 'p'   ",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_part_is_one_statement_of_the_script_at_its_place(script):
    whole = parse(script)
    parts = statements_apart(script)
    assert all(len(part) == len(script) for part in parts)
    assert [parse(part).statements for part in parts] == [(s,) for s in whole.statements]


def test_a_bad_statement_fails_alone_and_points_into_the_script():
    parts = statements_apart("runs;\nruns wher x;\nrecent 1")
    assert len(parse(parts[0]).statements) == len(parse(parts[2]).statements) == 1
    with pytest.raises(ObsqlError) as bad:
        parse(parts[1])
    assert (bad.value.line, bad.value.column) == (2, 6)
