"""`obsql explain` lays SQL out over lines without changing a token: the SQL shown is the SQL that runs."""
from __future__ import annotations

import re

import duckdb
import pytest

from obsql.render.sql_layout import layout, layout_explained
from tests.oql.test_golden import CASES


def tokens(sql: str) -> str:
    """The SQL with every run of whitespace outside quotes made one space."""
    parts = re.split(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")", sql)
    return "".join(part if i % 2 else re.sub(r"\s+", " ", part) for i, part in enumerate(parts)).strip()


@pytest.mark.parametrize("case", [case for case in CASES if case.expected], ids=lambda case: case.id)
def test_layout_changes_only_whitespace_of_every_compiled_statement(case):
    for line in case.expected.splitlines():
        if not line.startswith("--"):
            assert tokens(layout(line)) == tokens(line)


def test_clauses_start_lines_and_subqueries_indent_but_functions_and_windows_stay_whole():
    sql = ("SELECT a, list(b ORDER BY c) AS l, row_number() OVER (PARTITION BY a ORDER BY c) AS n "
           "FROM (SELECT * FROM t WHERE x = 'it''s FROM here') AS s LEFT JOIN u ON s.a = u.a "
           "WHERE a > 1 ORDER BY a LIMIT 3")
    assert layout(sql).splitlines() == [
        "SELECT a, list(b ORDER BY c) AS l, row_number() OVER (PARTITION BY a ORDER BY c) AS n",
        "FROM (SELECT *",
        "  FROM t",
        "  WHERE x = 'it''s FROM here') AS s",
        "LEFT JOIN u ON s.a = u.a",
        "WHERE a > 1",
        "ORDER BY a",
        "LIMIT 3",
    ]


def test_laid_out_sql_answers_as_the_original():
    sql = ("WITH t AS (SELECT range AS a, 'x  FROM y' AS b FROM range(5)) SELECT a, b FROM t "
           "WHERE a IN (SELECT range FROM range(3)) ORDER BY a DESC LIMIT 2")
    assert duckdb.sql(layout(sql)).fetchall() == duckdb.sql(sql).fetchall() == [(2, "x  FROM y"), (1, "x  FROM y")]


def test_comment_lines_of_an_explain_stay_as_they_are():
    text = "-- step walk:\nSELECT 1 FROM t WHERE x\n-- parameters:\n--   $p1 = 'a FROM b'"
    assert layout_explained(text).splitlines() == ["-- step walk:", "SELECT 1", "FROM t", "WHERE x", "-- parameters:",
                                                   "--   $p1 = 'a FROM b'"]
