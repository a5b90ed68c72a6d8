"""Properties: no text makes the parser raise anything but ObsqlError (nor the completion's next-keyword question
anything at all), and expressions survive a print-parse round trip."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.errors import ObsqlError
from obsql.grammar import KEYWORDS, TIME_UNITS, parse
from obsql.grammar.parser import next_keywords
from obsql.grammar.ast import (
    Between, Binary, Call, Column, InList, Interval, IsNull, Literal, Query, Runs, Script, Star, TimePoint, Unary,
)

FRAGMENTS = (
    *KEYWORDS, *TIME_UNITS, "days", "is empty", "is not empty", "|", ";", ",", "(", ")", "*", "+", "-", "/", "=",
    "!=", "<>", "<", "<=", ">", ">=", "'pred-42'", "'it''s'", "'", '"', '"col"', "3", "0.5", "1e3", "x", "clean",
    "feature-gen.v2", "@2020-03-15", "@2020-03-15T10:00", "@2020-13-45", "#", "# note\n", "\n", "$", "count",
)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=10), st.sampled_from((" ", "")))
def test_the_next_keywords_are_known_words_for_any_text(fragments, separator):
    fitting = next_keywords(separator.join(fragments))
    assert fitting is None or set(fitting) <= set(KEYWORDS) | set(TIME_UNITS)


def parses_or_explains(text: str) -> None:
    try:
        script = parse(text)
    except ObsqlError as error:
        assert error.kind == "syntax" and error.line is not None and error.message
    else:
        assert isinstance(script, Script) and len(script.texts) == len(script.statements)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_random_text_only_ever_raises_obsql_errors(text):
    parses_or_explains(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14), st.sampled_from((" ", "", "\n")))
def test_token_soup_only_ever_raises_obsql_errors(fragments, separator):
    parses_or_explains(separator.join(fragments))


# -- round trip: an expression tree, printed as OQL, parses back to itself -----------------------------------------
def oql(expr) -> str:
    """OQL text for an expression, every part in parentheses so the printer needs no precedence rules."""
    match expr:
        case Column(name):
            return '"' + name.replace('"', '""') + '"'
        case Literal(str() as text):
            return "'" + text.replace("'", "''") + "'"
        case Literal(bool() | None as flag):
            return {True: "true", False: "false", None: "null"}[flag]
        case Literal(number):
            return repr(number)
        case Star():
            return "*"
        case Interval(amount, unit):
            return f"{amount} {unit}s"
        case TimePoint("now"):
            return "now"
        case TimePoint("ago", ago=interval):
            return f"{oql(interval)} ago"
        case TimePoint("absolute", at=moment):
            return "@" + moment.strftime("%Y-%m-%dT%H:%M:%S")
        case Call(name, args, distinct):
            return f"{name}({'distinct ' if distinct else ''}{', '.join(map(oql, args))})"
        case Binary(op, left, right):
            return f"({oql(left)}) {op} ({oql(right)})"
        case Unary(op, operand):
            return f"{op} ({oql(operand)})"
        case InList(inner, items, negated):
            return f"({oql(inner)}) {'not ' if negated else ''}in ({', '.join(map(oql, items))})"
        case Between(inner, low, high, negated):
            return f"({oql(inner)}) {'not ' if negated else ''}between ({oql(low)}) and ({oql(high)})"
        case IsNull(inner, negated):
            return f"({oql(inner)}) is {'not ' if negated else ''}null"
    raise AssertionError(f"no printer for {expr!r}")


times = st.one_of(
    st.just(TimePoint("now")),
    st.builds(lambda amount, unit: TimePoint("ago", ago=Interval(amount, unit)),
              st.integers(0, 10_000), st.sampled_from(TIME_UNITS)),
    st.builds(lambda moment: TimePoint("absolute", at=moment.replace(microsecond=0, tzinfo=timezone.utc)),
              st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1))),
)
leaves = st.one_of(
    st.builds(Column, st.text(min_size=1, max_size=8)),
    st.builds(Literal, st.text(max_size=8)),
    st.builds(Literal, st.integers(0, 10**12)),
    st.builds(Literal, st.floats(0, 1e9, allow_nan=False, allow_infinity=False)),
    st.builds(Literal, st.sampled_from((True, False, None))),
    times,
)
operators = st.sampled_from(("or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "like", "ilike"))
function_names = st.sampled_from(("count", "avg", "quantile", "null_frac", "f_2"))


def branches(children):
    lists = st.lists(children, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        st.builds(Binary, operators, children, children),
        st.builds(Unary, st.sampled_from(("not", "-")), children),
        st.builds(InList, children, lists, st.booleans()),
        st.builds(Between, children, children, children, st.booleans()),
        st.builds(IsNull, children, st.booleans()),
        st.builds(Call, function_names, lists, st.booleans()),
        st.builds(Call, function_names, st.just((Star(),))),
    )


expressions = st.recursive(leaves, branches, max_leaves=12)


@settings(max_examples=300)
@given(expressions)
def test_expressions_round_trip(expr):
    assert parse(f"runs where {oql(expr)}") == Script((Query(Runs(where=expr)),))
