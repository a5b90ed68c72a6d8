"""The OQL Pygments lexer: a table of (text, the token kinds of its words)."""
from __future__ import annotations

import pytest
from pygments import lex
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text

from obsql.highlight import OqlLexer


def kinds(text: str) -> list[tuple[str, object]]:
    return [(value, kind) for kind, value in lex(text, OqlLexer()) if value.strip()]


@pytest.mark.parametrize(("text", "expected"), [
    ("RUNS of clean", [("RUNS", Keyword), ("of", Keyword), ("clean", Name)]),
    ("runs where stale since 7 days ago", [("runs", Keyword), ("where", Keyword), ("stale", Keyword),
                                           ("since", Keyword), ("7", Number), ("days", Keyword.Type),
                                           ("ago", Keyword)]),
    ("trace 'it''s' # why", [("trace", Keyword), ("'it''s'", String.Single), ("# why", Comment.Single)]),
    ("history feature-gen.v2 metric null_frac(fare)", [("history", Keyword), ("feature-gen.v2", Name),
                                                      ("metric", Keyword), ("null_frac", Name.Function),
                                                      ("(", Punctuation), ("fare", Name), (")", Punctuation)]),
    ('runs | where "my col" >= @2020-03-15;', [("runs", Keyword), ("|", Punctuation), ("where", Keyword),
                                               ('"my col"', Name.Variable), (">=", Operator),
                                               ("@2020-03-15", Number.Other), (";", Punctuation)]),
    (".mode csv", [(".mode csv", Keyword.Pseudo)]),
    ("runs\n.mode csv", [("runs", Keyword), (".mode csv", Keyword.Pseudo)]),
    ("runs_total", [("runs_total", Name)]),
    ("expect stale is not empty", [("expect", Keyword), ("stale", Keyword), ("is not empty", Keyword)]),
    ("flag 'it''s", [("flag", Keyword), ("'it''s\n", String.Single)]),  # never closed (Pygments adds the \n)
    ("runs where x = $", [("runs", Keyword), ("where", Keyword), ("x", Name), ("=", Operator), ("$", Text)]),
])
def test_tokens(text, expected):
    assert kinds(text) == expected


def test_sql_text_is_highlighted_as_sql():
    tokens = kinds("sql select count(*) from runs; recent")
    assert tokens[0] == ("sql", Keyword)
    assert ("select", Keyword) in tokens and ("recent", Keyword) in tokens


def test_sql_text_goes_on_after_a_comment():
    tokens = kinds("sql select 1 # why\nfrom t; recent")
    assert ("# why", Comment.Single) in tokens and ("from", Keyword) in tokens and tokens[-1] == ("recent", Keyword)
