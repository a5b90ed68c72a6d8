"""Bad OQL and what the error must say: plain words (never Lark's terminal names), the spot, and a suggestion."""
from __future__ import annotations

import re

import pytest

from obsql.errors import ObsqlError, render_text
from obsql.grammar import parse
from obsql.grammar.language import language
from obsql.grammar.syntax_errors import terminal_words

# (bad text, fragments the rendered error must contain, line, column)
BAD = [
    ("hisotry inference", ["unknown word 'hisotry'", "a statement (runs, recent", "did you mean 'history'?"], 1, 1),
    ("RUN of clean", ["but found RUN", "did you mean 'runs'?"], 1, 1),
    ("@2020-01-01", ["expected one of: a statement", "but found '@2020-01-01'"], 1, 1),
    ("trace pred-42", ["unknown word 'pred-42' after trace",
                       "expected one of: a quoted pointer like 'pred-42', forward",
                       "put it in single quotes: 'pred-42'"], 1, 7),
    ("flag pred-1", ["unknown word 'pred-1' after flag: expected one of: a quoted pointer like 'pred-42' or outputs", "hint: put it in single quotes: 'pred-1'"], 1, 6),
    ("unflag", ["the query ends too early", "a quoted pointer like 'pred-42', outputs or all after unflag"], 1, 7),
    ("inspect", ["the query ends too early", "a quoted pointer like 'pred-42' or run"], 1, 8),
    ("inspect run 01J8", ["a quoted run id"], 1, 13),
    ("runs where", ["the query ends too early: expected an expression after where"], 1, 11),
    ("runs of clean foo", ["unknown word 'foo' after 'clean'",
                           "expected one of: where, since, until, between, |, ; or the end"], 1, 15),
    ("runs of clean sinse 3 days ago", ["unknown word 'sinse'", "did you mean 'since'?"], 1, 15),
    ("runs;\nruns wher x = 1", ["line 2, column 6", "unknown word 'wher' after runs", "did you mean 'where'?"], 2, 6),
    ("runs since 3 fortnights ago", ["unknown time unit 'fortnights'", "second, minute, hour"], 1, 14),
    ("runs where t > 3 fortnights ago", ["unknown time unit 'fortnights'"], 1, 18),
    ("history train every fortnight", ["unknown time unit 'fortnight'"], 1, 21),
    ("runs since @2020-13-45", ["bad time '@2020-13-45'", "no such date"], 1, 12),
    ("runs since @2020-02-30T10:00", ["bad time '@2020-02-30T10:00'", "no such date"], 1, 12),
    ("runs since @2020-3-5", ["bad time '@2020-3-5'", "@YYYY-MM-DD"], 1, 12),
    ("runs where t > @2020-03-15T25:00", ["bad time", "no such date or time"], 1, 16),
    ("runs since yesterday", ["unknown word 'yesterday' after since", "a time like @2020-03-15"], 1, 12),
    ("runs | limit 3.5", ["expected a whole number after limit, but found '3.5'"], 1, 14),
    ("runs | limit", ["the query ends too early: expected a number after limit"], 1, 13),
    ("recent 3 4", ["but found '4'"], 1, 10),
    ("trace 'x' depth 1.5", ["a whole number after depth"], 1, 17),
    ("runs where x = 'abc", ["this quote (') is never closed", "write '' for a ' inside it"], 1, 16),
    ('runs | select "abc', ['this quote (") is never closed'], 1, 15),
    ("runs where x = $", ["expected an expression after '=', but found '$'"], 1, 16),
    ("runs where x = 1 and y ! 2", ["after 'y', but found '!'"], 1, 24),
    ("runs | selct x", ["unknown word 'selct' after '|'", "where, select, order, limit, group or rank",
                        "did you mean 'select'?"], 1, 8),
    ("runs | order by x ascending", ["unknown word 'ascending'", "did you mean 'asc'?"], 1, 19),
    ("runs | select x frm y", ["unknown word 'frm' after 'x'", "an operator, as"], 1, 17),
    ("runs | select x as", ["the query ends too early: expected one of: a name", "after as"], 1, 19),
    ("runs | rank", ["the query ends too early: expected runs after rank"], 1, 12),
    ("runs | group by", ["the query ends too early: expected an expression after by"], 1, 16),
    ("runs where x in 1, 2", ["expected ( after in, but found '1'"], 1, 17),
    ("runs where (x = 1", ["the query ends too early", ")"], 1, 18),
    ("runs where count(*", ["the query ends too early: expected one of: except or ) after '*'"], 1, 19),
    ("runs where x between 1", ["the query ends too early", "and"], 1, 23),
    ("runs where x = 1 and", ["the query ends too early: expected an expression after and"], 1, 21),
    ("runs where x is empty", ["but found 'is empty'", "end an expect statement", "is null"], 1, 14),
    ("expect runs", ["the query ends too early", "is empty or is not empty"], 1, 12),
    ("expect runs |", ["the query ends too early", "an expression, where, select"], 1, 14),
    ("compare a with", ["the query ends too early: expected a component name after with"], 1, 15),
    ("compare a on x", ["expected with, but found on"], 1, 11),
    ("stale of", ["the query ends too early: expected a component name after of"], 1, 9),
    ("history", ["the query ends too early: expected a component name after history"], 1, 8),
    ("history inference metric", ["the query ends too early: expected an expression after metric"], 1, 25),
    ("sql", ["the query ends too early: expected SQL text after sql"], 1, 4),
    ("runs # a comment\n  where", ["line 2, column 8", "the query ends too early"], 2, 8),
]


@pytest.mark.parametrize("text, fragments, line, column", BAD)
def test_bad_query_error(text, fragments, line, column):
    with pytest.raises(ObsqlError) as caught:
        parse(text)
    error = caught.value
    rendered = render_text(error)
    assert (error.kind, error.line, error.column, error.source) == ("syntax", line, column, text)
    for fragment in fragments:
        assert fragment in rendered


def lark_names_in(message: str) -> set[str]:
    """Lark's terminal names that appear in a message, outside the user's quoted text."""
    words = set(re.findall(r"[$\w]+", re.sub(r"'[^']*'", "", message)))
    return words & ({terminal.name for terminal in language().parser.terminals} | {"$END"})


@pytest.mark.parametrize("text, fragments, line, column", BAD)
def test_error_never_names_a_lark_terminal(text, fragments, line, column):
    with pytest.raises(ObsqlError) as caught:
        parse(text)
    assert lark_names_in(caught.value.message) == set()
    assert lark_names_in(caught.value.suggestion or "") == set()


def test_caret_points_at_the_spot():
    with pytest.raises(ObsqlError) as caught:
        parse("runs of clean\n  | selct x")
    assert render_text(caught.value).splitlines()[1:3] == ["    | selct x", "      ^"]


def terminals_without_words() -> set[str]:
    """The terminals of the current grammar an error message could not name (space and comments are never named)."""
    oql = language()
    return {t.name for t in oql.parser.terminals if t.name not in oql.ignored and not terminal_words(t.name)}


def test_every_terminal_has_words():
    assert terminals_without_words() == set()
    assert terminal_words("$END") == "the end"


def test_a_new_terminal_without_words_is_caught(oql_with):
    oql_with("| _PING BANG -> ping", '_PING.2: /ping\\b/i\nBANG: "!"')
    assert terminals_without_words() == {"BANG"}  # the keyword has its word, `ping`; `!` has none
