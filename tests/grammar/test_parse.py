"""OQL text in, syntax tree out: a table of (text, expected tree) covering every statement, clause, pipe,
expression form and time form, plus positions and statement texts (which equality ignores)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from obsql.grammar import KEYWORDS, parse
from obsql.grammar.ast import (
    Between, Binary, Call, Column, Compare, Components, Expect, Flag, GroupBy, History, InList, InspectPointer,
    InspectRun, Interval, IsNull, Limit, Literal, OrderBy, OrderItem, Query, RankRuns, Recent, Review, Runs, Script,
    Select, SelectItem, Side, SliceTrace, Sql, Stale, Star, TimePoint, TimeRange, Trace, Unary, Unflag, Where,
)
from obsql.grammar.language import language


def col(name: str) -> Column:
    return Column(name)


def lit(value) -> Literal:
    return Literal(value)


def ago(amount, unit: str) -> TimePoint:
    return TimePoint("ago", ago=Interval(amount, unit))


def at(*parts: int) -> TimePoint:
    return TimePoint("absolute", at=datetime(*parts, tzinfo=timezone.utc))


NOW = TimePoint("now")


def where(text: str) -> str:
    return f"runs where {text}"


def condition(expr) -> Query:
    return Query(Runs(where=expr))


STATEMENTS = [
    # run-level
    ("runs", Query(Runs())),
    ("runs of clean", Query(Runs("clean"))),
    ("runs of feature-gen.v2", Query(Runs("feature-gen.v2"))),
    ("runs of 'feature gen'", Query(Runs("feature gen"))),
    ("runs of clean where status = 'failed' since 7 days ago",
     Query(Runs("clean", Binary("=", col("status"), lit("failed")), TimeRange(ago(7, "day"))))),
    ("runs where stale", Query(Runs(where=col("stale")))),
    ("recent", Query(Recent())),
    ("recent 20", Query(Recent(20))),
    ("components", Query(Components())),
    ("inspect run '01J8ZQ'", Query(InspectRun("01J8ZQ"))),
    ("inspect 'models/tip-model.json'", Query(InspectPointer("models/tip-model.json"))),
    # history
    ("history inference", Query(History("inference"))),
    ("history inference metric accuracy, null_frac(fare) since 90 days ago every 1 day",
     Query(History("inference", (col("accuracy"), Call("null_frac", (col("fare"),))), TimeRange(ago(90, "day")),
                   Interval(1, "day")))),
    ("history inference metric accuracy between @2020-03-01 and @2020-04-01",
     Query(History("inference", (col("accuracy"),), TimeRange(at(2020, 3, 1), at(2020, 4, 1))))),
    ("history train every week", Query(History("train", every=Interval(1, "week")))),
    ("history train every 6 hours", Query(History("train", every=Interval(6, "hour")))),
    ("history train every 1.5 days", Query(History("train", every=Interval(1.5, "day")))),
    ("history train metric rows / 1000", Query(History("train", (Binary("/", col("rows"), lit(1000)),)))),
    # lineage
    ("trace 'pred-42'", Query(Trace("pred-42"))),
    ("trace 'pred-42' depth 2", Query(Trace("pred-42", depth=2))),
    ("trace forward 'raw/yellow/2020-03-15.parquet'", Query(Trace("raw/yellow/2020-03-15.parquet", forward=True))),
    ("trace forward 'x' depth 0", Query(Trace("x", forward=True, depth=0))),
    ("trace 'it''s'", Query(Trace("it's"))),
    ("trace outputs of inference where value > 0.9 since 6 months ago | rank runs",
     Query(SliceTrace("inference", Binary(">", col("value"), lit(0.9)), TimeRange(ago(6, "month"))), (RankRuns(),))),
    ("trace outputs of inference", Query(SliceTrace("inference"))),
    ("stale", Query(Stale())),
    ("stale of clean since @2020-03-15", Query(Stale("clean", TimeRange(at(2020, 3, 15))))),
    # flags
    ("flag 'pred-1234'", Flag(("pred-1234",))),
    ("flag 'a', 'b', 'a'", Flag(("a", "b"))),
    ("unflag 'pred-1234'", Unflag(("pred-1234",))),
    ("unflag all", Unflag()),
    ("unflag 'all'", Unflag(("all",))),
    ("flag outputs of inference where value > 0.9 since @2020-03-01",
     Flag(outputs=SliceTrace("inference", Binary(">", col("value"), lit(0.9)), TimeRange(at(2020, 3, 1))))),
    ("unflag outputs of inference", Unflag(outputs=SliceTrace("inference"))),
    ("review", Query(Review())),
    # cross-component
    ("compare featuregen where tag = 'offline' with featuregen where tag = 'online' on drift(*)",
     Query(Compare(Side("featuregen", Binary("=", col("tag"), lit("offline"))),
                   Side("featuregen", Binary("=", col("tag"), lit("online"))), (Call("drift", (Star(),)),)))),
    ("compare train since 30 days ago with train until 30 days ago on fare_amount, trip_distance",
     Query(Compare(Side("train", time=TimeRange(ago(30, "day"))), Side("train", time=TimeRange(end=ago(30, "day"))),
                   (col("fare_amount"), col("trip_distance"))))),
    ("compare a with b", Query(Compare(Side("a"), Side("b")))),
    # sql
    ("sql select component, count(*) from runs group by 1",
     Query(Sql("select component, count(*) from runs group by 1"))),
    ("sql select 'a;b', \"#x\" from runs   ", Query(Sql("select 'a;b', \"#x\" from runs"))),
    ("sql select 1 # why\n  + 1", Query(Sql("select 1\n+ 1"))),
    ("SQL SELECT 'is empty'", Query(Sql("SELECT 'is empty'"))),
    # expect
    ("expect runs where status = 'failed' is empty",
     Expect(condition(Binary("=", col("status"), lit("failed"))), "empty")),
    ("expect runs of clean is not empty", Expect(Query(Runs("clean")), "not_empty")),
    ("expect runs where x is null is empty", Expect(condition(IsNull(col("x"))), "empty")),
    ("expect runs | where x is not null is  NOT\n empty",
     Expect(Query(Runs(), (Where(IsNull(col("x"), negated=True)),)), "not_empty")),
    ("expect history inference metric accuracy since 1 day ago | min(accuracy) >= 0.9",
     Expect(Query(History("inference", (col("accuracy"),), TimeRange(ago(1, "day")))), "condition",
            Binary(">=", Call("min", (col("accuracy"),)), lit(0.9)))),
    ("expect stale | where component = 'train' | count(*) = 0 and max(x) < 3",
     Expect(Query(Stale(), (Where(Binary("=", col("component"), lit("train"))),)), "condition",
            Binary("and", Binary("=", Call("count", (Star(),)), lit(0)),
                   Binary("<", Call("max", (col("x"),)), lit(3))))),
    ("expect sql select * from runs where status = 'failed' is empty",
     Expect(Query(Sql("select * from runs where status = 'failed'")), "empty")),
    # pipes
    ("runs | where status = 'ok'", Query(Runs(), (Where(Binary("=", col("status"), lit("ok"))),))),
    ("runs | select run_id, end_time - start_time as took",
     Query(Runs(), (Select((SelectItem(col("run_id")), SelectItem(Binary("-", col("end_time"), col("start_time")),
                                                                           "took"))),))),
    ("runs | order by start_time desc, run_id asc, x",
     Query(Runs(), (OrderBy((OrderItem(col("start_time"), True), OrderItem(col("run_id")), OrderItem(col("x")))),))),
    ("runs | limit 10", Query(Runs(), (Limit(10),))),
    ("runs | group by component", Query(Runs(), (GroupBy((SelectItem(col("component")),)),))),
    ("runs | group by component as c, status aggregate count(*) as n, avg(x)",
     Query(Runs(), (GroupBy((SelectItem(col("component"), "c"), SelectItem(col("status"))),
                            (SelectItem(Call("count", (Star(),)), "n"), SelectItem(Call("avg", (col("x"),))))),))),
    ("trace 'p' | where depth <= 2 | order by depth | limit 5",
     Query(Trace("p"), (Where(Binary("<=", col("depth"), lit(2))), OrderBy((OrderItem(col("depth")),)), Limit(5)))),
    # keywords are case-insensitive, names are not
    ("RUNS Of Clean WHERE Status = 'failed' SINCE 7 DAYS AGO | LIMIT 1",
     Query(Runs("Clean", Binary("=", col("Status"), lit("failed")), TimeRange(ago(7, "day"))), (Limit(1),))),
    ("Trace Forward 'P'", Query(Trace("P", forward=True))),
]

EXPRESSIONS = [
    ("a = 1", Binary("=", col("a"), lit(1))),
    ("a != 1", Binary("!=", col("a"), lit(1))),
    ("a <> 1", Binary("!=", col("a"), lit(1))),
    ("a < 1.5", Binary("<", col("a"), lit(1.5))),
    ("a <= 1e3", Binary("<=", col("a"), lit(1000.0))),
    ("a > .5", Binary(">", col("a"), lit(0.5))),
    ("a >= -1", Binary(">=", col("a"), Unary("-", lit(1)))),
    ("a = true or b = false", Binary("or", Binary("=", col("a"), lit(True)), Binary("=", col("b"), lit(False)))),
    ("a = null", Binary("=", col("a"), lit(None))),
    ("a or b and c", Binary("or", col("a"), Binary("and", col("b"), col("c")))),
    ("(a or b) and c", Binary("and", Binary("or", col("a"), col("b")), col("c"))),
    ("not a and b", Binary("and", Unary("not", col("a")), col("b"))),
    ("not not a = 1", Unary("not", Unary("not", Binary("=", col("a"), lit(1))))),
    ("a like 'x%'", Binary("like", col("a"), lit("x%"))),
    ("a ILIKE 'x%'", Binary("ilike", col("a"), lit("x%"))),
    ("a not like 'x%'", Unary("not", Binary("like", col("a"), lit("x%")))),
    ("a in (1, 2, 'x')", InList(col("a"), (lit(1), lit(2), lit("x")))),
    ("a not in ('ok')", InList(col("a"), (lit("ok"),), negated=True)),
    ("a between 1 and 2", Between(col("a"), lit(1), lit(2))),
    ("a not between 1 and 2 + 3", Between(col("a"), lit(1), Binary("+", lit(2), lit(3)), negated=True)),
    ("a between 1 and 2 and b", Binary("and", Between(col("a"), lit(1), lit(2)), col("b"))),
    ("a is null", IsNull(col("a"))),
    ("a is not null", IsNull(col("a"), negated=True)),
    ("a + b * c", Binary("+", col("a"), Binary("*", col("b"), col("c")))),
    ("(a + b) * c", Binary("*", Binary("+", col("a"), col("b")), col("c"))),
    ("a - b - c", Binary("-", Binary("-", col("a"), col("b")), col("c"))),
    ("a / -b", Binary("/", col("a"), Unary("-", col("b")))),
    ("count(*) > 0", Binary(">", Call("count", (Star(),)), lit(0))),
    ("count(distinct run_id) = 1", Binary("=", Call("count", (col("run_id"),), distinct=True), lit(1))),
    ("quantile(x, 0.5) > 1", Binary(">", Call("quantile", (col("x"), lit(0.5))), lit(1))),
    ("f() < now()", Binary("<", Call("f", ()), NOW)),
    ("\"my col\" = 'it''s'", Binary("=", col("my col"), lit("it's"))),
    ('"a""b" = 1', Binary("=", col('a"b'), lit(1))),
    ("start_time > 3 days ago", Binary(">", col("start_time"), ago(3, "day"))),
    ("start_time > @2020-03-15T10:00", Binary(">", col("start_time"), at(2020, 3, 15, 10, 0))),
    ("start_time < @2020-03-15T10:00:30", Binary("<", col("start_time"), at(2020, 3, 15, 10, 0, 30))),
    ("start_time <= now", Binary("<=", col("start_time"), NOW)),
    ("end_time - start_time > 5 minutes", Binary(">", Binary("-", col("end_time"), col("start_time")),
                                                 Interval(5, "minute"))),
    ("t > 1 second ago and t < 2 HOURS ago", Binary("and", Binary(">", col("t"), ago(1, "second")),
                                                    Binary("<", col("t"), ago(2, "hour")))),
    ("t > 1 year ago or t > 2 weeks ago", Binary("or", Binary(">", col("t"), ago(1, "year")),
                                                 Binary(">", col("t"), ago(2, "week")))),
    # keywords of other clauses stay usable as column names
    ("depth = 1 and day = 2 and limit_ = 3", Binary("and", Binary("and", Binary("=", col("depth"), lit(1)),
                                                                  Binary("=", col("day"), lit(2))),
                                                    Binary("=", col("limit_"), lit(3)))),
]

# A where-condition followed by a time range: `between` right after a bare column belongs to the condition.
TIME_RANGES = [
    ("runs since 7 days ago", TimeRange(ago(7, "day"))),
    ("runs until now", TimeRange(end=NOW)),
    ("runs since @2020-01-01 until @2020-02-01", TimeRange(at(2020, 1, 1), at(2020, 2, 1))),
    ("runs between 2 weeks ago and 1 week ago", TimeRange(ago(2, "week"), ago(1, "week"))),
    ("runs where x > 1 between @2020-01-01 and now", TimeRange(at(2020, 1, 1), NOW)),
]


@pytest.mark.parametrize("text, expected", STATEMENTS)
def test_statement(text, expected):
    assert parse(text) == Script((expected,))


@pytest.mark.parametrize("text, expected", EXPRESSIONS)
def test_expression(text, expected):
    assert parse(where(text)) == Script((condition(expected),))


@pytest.mark.parametrize("text, expected", TIME_RANGES)
def test_time_range(text, expected):
    (query,) = parse(text).statements
    assert query.source.time == expected


def test_between_after_a_bare_column_is_the_conditions():
    (query,) = parse("runs where ok between 1 and 2").statements
    assert query.source == Runs(where=Between(col("ok"), lit(1), lit(2)))


SCRIPTS = [
    ("", ()),
    ("# only a comment", ()),
    (";;", ()),
    ("runs; recent", (Query(Runs()), Query(Recent()))),
    ("flag 'a';\n\n; review ;", (Flag(("a",)), Query(Review()))),
    ("runs # all of them; not a separator\n| limit 1", (Query(Runs(), (Limit(1),)),)),
    ("runs where note = '# no comment; one statement'",
     (condition(Binary("=", col("note"), lit("# no comment; one statement"))),)),
]


@pytest.mark.parametrize("text, expected", SCRIPTS)
def test_script(text, expected):
    assert parse(text).statements == expected


def test_texts_are_each_statements_source_stripped():
    script = parse("  runs of clean # the cleaner\n | limit 3 ;\n# nothing\n ; sql select ';' ; review  ")
    assert script.texts == ("runs of clean # the cleaner\n | limit 3", "sql select ';'", "review")


def test_positions_point_at_each_nodes_first_token():
    script = parse("recent;\n  runs of clean\n    | where x = 'a'")
    query = script.statements[1]
    where_pipe = query.pipes[0]
    comparison = where_pipe.condition
    assert [(node.line, node.column) for node in (query, query.source, where_pipe, comparison, comparison.right)] == [
        (2, 3), (2, 3), (3, 5), (3, 13), (3, 17)]


def test_expect_query_starts_at_its_source():
    (expect,) = parse("expect  stale is empty").statements
    assert (expect.column, expect.query.column, expect.query.source.column) == (1, 9, 9)


def test_every_keyword_is_a_terminal_of_the_grammar():
    terminals = {terminal.name.lstrip("_").lower() for terminal in language().parser.terminals}
    assert set(KEYWORDS) - terminals == {"empty"}  # `empty` only comes within `is empty` / `is not empty`
