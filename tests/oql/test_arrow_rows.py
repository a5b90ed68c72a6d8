"""Answers come back from DuckDB as Arrow (result.ArrowRows) and are read as the values DuckDB's own Python
conversion gives, type by type, and a slice converts only the rows it holds."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from obsql.result import ArrowRows
from tests.oql.conftest import NOW

EXPRESSIONS = [
    "42", "3::hugeint", "(SELECT sum(x) FROM range(5) AS t(x))", "2.5::decimal(10, 2)", "1.5::double", "'text'", "true",
    "NULL::integer", "TIMESTAMPTZ '2024-05-01 12:30:00+00'", "DATE '2024-05-01'", "TIMESTAMP '2024-05-01 01:02:03'",
    "INTERVAL 3 MONTH + INTERVAL 2 DAY + INTERVAL 5 SECOND", "INTERVAL 300 SECOND", "[1, 2, NULL]", "['a', 'b']",
    "{'a': 1, 'b': 'x'}", "map([1, 2], ['a', 'b'])", "'\\x00\\x01'::blob",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_each_type_reads_as_duckdb_gives_it(small, expression):
    result = small.engine.run(f"sql SELECT {expression} AS v", now=NOW)[0]
    assert isinstance(result.rows, ArrowRows)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    assert result.rows == con.execute(f"SELECT {expression} AS v").fetchall()


def test_a_slice_converts_its_rows_only_and_indexes_like_a_list(small):
    result = small.engine.run("sql SELECT x, x * 2 AS y FROM range(25000) AS t(x)", now=NOW)[0]
    assert len(result) == 25000 and result.rows[:2] == [(0, 0), (1, 2)] and result.rows[-1] == (24999, 49998)
    assert result.rows[ArrowRows.BATCH + 1] == (ArrowRows.BATCH + 1, 2 * (ArrowRows.BATCH + 1))
    assert result.rows[10:12] == [(10, 20), (11, 22)] and sum(1 for _ in result.rows) == 25000
    assert result.to_arrow().num_rows == 25000 and isinstance(result.rows[0][0], int)
    with pytest.raises(IndexError):
        result.rows[25000]


def test_a_decimal_stays_a_decimal(small):
    assert small.engine.run("sql SELECT 2.50::decimal(10, 2) AS d", now=NOW)[0].rows == [(Decimal("2.50"),)]
