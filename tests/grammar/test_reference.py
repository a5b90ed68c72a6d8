"""The language reference read by statement (the shell's `.help trace`, the hint for a clause out of place): every
statement has its forms and examples there, the package ships the reference itself, and errors quote it."""
from __future__ import annotations

from pathlib import Path

import pytest

from obsql.errors import ObsqlError
from obsql.grammar import STATEMENT_KEYWORDS, parse
from obsql.grammar.reference import REFERENCE, statement_help

ROOT = Path(__file__).parents[2]


def test_the_package_ships_the_reference_itself():
    assert REFERENCE.read_text(encoding="utf-8") == (ROOT / "docs" / "oql.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("keyword", STATEMENT_KEYWORDS)
def test_every_statement_has_forms_examples_and_a_summary(keyword):
    sections = statement_help(keyword)
    assert sections, f"docs/oql.md has no section for {keyword}"
    assert any(form.startswith(keyword) for section in sections for form in section.forms)
    assert all(section.examples and section.summary for section in sections)
    for section in sections:
        for example in section.examples:
            assert parse(example).statements  # the help's examples are OQL


def test_trace_has_both_of_its_sections_in_the_references_order():
    assert [section.heading for section in statement_help("trace")] == ["trace", "trace outputs"]
    assert "trace forward '<pointer>' [depth <n>]" in statement_help("trace")[0].text()


# (a statement with a clause out of its place, the hint it gets)
OUT_OF_ORDER = [
    ("runs since 7 days ago where status = 'ok'",
     "clauses come in this order: runs [of <component>] [where <condition>] [<time range>]"),
    ("recent 1; stale since 1 day ago of train", "clauses come in this order: stale [of <component>] [<time range>]"),
    ("history train every 1 day since 7 days ago",
     "clauses come in this order: history <component> [metric <metric>, ...] [<time range>] [every <interval>]"),
]


@pytest.mark.parametrize("text, hint", OUT_OF_ORDER)
def test_a_clause_out_of_its_place_gets_the_statements_form_as_a_hint(text, hint):
    with pytest.raises(ObsqlError) as error:
        parse(text)
    assert error.value.suggestion == hint


def test_a_near_miss_keeps_its_did_you_mean():
    with pytest.raises(ObsqlError) as error:
        parse("runs of etl wher status = 'ok'")
    assert error.value.suggestion == "did you mean 'where'?"
