"""OQL's words come from oql.lark alone: the words read from its terminals, the scan of any text, and a keyword
added to the grammar that the shell highlights, completes and runs on Enter with no other change."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pygments import lex
from pygments.token import Keyword

from obsql.errors import ObsqlError
from obsql.grammar import KEYWORDS, TIME_UNITS, parse
from obsql.grammar.language import language
from obsql.grammar.parser import STATEMENT_KEYWORDS, next_keywords
from obsql.highlight import OqlLexer
from obsql.repl.completion import completion_context
from obsql.repl.enter import runs_on_enter

PING = ("| _PING -> ping", r"_PING.2: /ping\b/i")


def scanned(text: str) -> list[tuple[str, str]]:
    return [(token.type, str(token)) for token in language().scan(text) if token.type != "WS"]


def test_the_words_are_read_from_the_terminals():
    assert KEYWORDS[:len(STATEMENT_KEYWORDS)] == STATEMENT_KEYWORDS  # statements first, as messages list them
    assert STATEMENT_KEYWORDS[:3] == ("runs", "recent", "components") and KEYWORDS[-1] == "empty"
    assert {"is", "not", "empty"} <= set(KEYWORDS) and not set(TIME_UNITS) & set(KEYWORDS)
    assert TIME_UNITS == ("second", "minute", "hour", "day", "week", "month", "year")
    assert language().keyword_of["IS_EMPTY"] == "is" and language().keyword_of["FORWARD"] == "forward"


@pytest.mark.parametrize(("text", "tokens"), [
    ("RUNS of feature-gen.v2", [("_RUNS", "RUNS"), ("_OF", "of"), ("COMPONENT", "feature-gen.v2")]),
    ("x >= 1e3 # why", [("COMPONENT", "x"), ("COMP_OP", ">="), ("NUMBER", "1e3"), ("COMMENT", "# why")]),
    ("'it''s' \"a b\" @2020-03-15", [("STRING", "'it''s'"), ("QUOTED_NAME", '"a b"'), ("DATETIME", "@2020-03-15")]),
    ("3 days ago is not empty", [("NUMBER", "3"), ("UNIT", "days"), ("_AGO", "ago"), ("IS_EMPTY", "is not empty")]),
    ("trace 'it''s", [("_TRACE", "trace"), ("UNCLOSED", "'it''s")]),
    ('select "a', [("_SELECT", "select"), ("UNCLOSED", '"a')]),
    ("$ !", [("UNKNOWN", "$"), ("UNKNOWN", "!")]),
    ("sql select ';' # c\n from t; recent", [("_SQL", "sql"), ("SQL_TEXT", "select ';' "), ("COMMENT", "# c"),
                                              ("SQL_TEXT", "from t"), ("_SEMI", ";"), ("_RECENT", "recent")]),
    ("expect sql select 1 is empty", [("_EXPECT", "expect"), ("_SQL", "sql"), ("SQL_TEXT", "select 1 "),
                                      ("IS_EMPTY", "is empty")]),
])
def test_scan(text, tokens):
    assert scanned(text) == tokens


@given(st.text(max_size=80), st.booleans())
def test_the_scan_reads_any_text_whole_and_keeps_positions(text, raw_text):
    tokens = language().scan(text, raw_text)
    assert "".join(tokens) == text
    assert all(token and text[token.start_pos:token.end_pos] == token for token in tokens)


def test_a_keyword_added_to_the_grammar_alone_is_highlighted_completed_and_run_on_enter(oql_with):
    oql_with(*PING)
    assert [(value, kind) for kind, value in lex("ping;", OqlLexer())][0] == ("ping", Keyword)
    assert "ping" in completion_context("").words
    typing = completion_context("pi")
    assert (typing.kind, typing.prefix) == ("keyword", "pi") and "ping" in typing.words
    assert next_keywords("runs;") == (*STATEMENT_KEYWORDS, "ping")
    assert runs_on_enter("ping;") is True
    assert runs_on_enter("ping 'a;") is False


def test_a_keyword_added_to_the_grammar_is_named_in_error_messages(oql_with):
    oql_with(*PING)
    with pytest.raises(ObsqlError) as caught:
        parse("pnig")
    assert "expect, ping)" in caught.value.message and caught.value.suggestion == "did you mean 'ping'?"
