"""Golden (OQL, SQL) pairs: the text each statement compiles to, and proof that the SQL transpiles to Spark.

The cases live in one fixture file per statement family, `golden/<family>.sql` (run_level, history, compare,
lineage, cards, expect, pipes, times, expressions). A file is a sequence of cases, each:

    -- oql: <the OQL>            (several `-- oql:` lines make one multi-line statement, joined by newlines)
    <blank line>
    <the expected plan.explain(): the SQL and its bound parameters>
    <blank line, then the next case's `-- oql:`>

Comment lines before the first `-- oql:` describe the file. Each case is compiled against a stub catalog with a fixed
`now` and compared with its expected text; its pytest id is `<file>:<n>`, the n-th case of the file (history.sql:3).
To add a case, write its `-- oql:` line with nothing after it. After a deliberate change to the compiler (or to fill
in new cases), rewrite the expected texts in place with `OBSQL_UPDATE_GOLDEN=1 pytest tests/oql/test_golden.py`:
each file keeps its OQL and its order, so one compiler change is one reviewable diff.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from obsql.compiler.compile import compile_statement
from obsql.compiler.plans import ExpectPlan, Plan, SqlPlan
from obsql.grammar import parse
from obsql.grammar.parser import STATEMENT_KEYWORDS
from obsql.monitor.correctness import DEFAULT, Correctness

GOLDEN = Path(__file__).with_name("golden")
UPDATING = os.environ.get("OBSQL_UPDATE_GOLDEN") == "1"
NOW = datetime(2020, 3, 1, 12, 0, tzinfo=timezone.utc)
OQL_LINE = "-- oql:"


class StubCatalog:
    """The names a store would know, without a store."""

    METRICS = {"etl": ["rows"], "train": ["rows", "train_accuracy"], "inference": ["rows"]}

    def components(self) -> list[str]:
        return ["etl", "clean", "featuregen", "train", "inference"]

    def metrics(self, component: str) -> list[str]:
        return self.METRICS.get(component, [])

    def logged(self, component: str, metric: str) -> bool:
        return metric in self.metrics(component)

    def slas(self, component: str) -> dict[str, float]:
        return {}

    def columns(self, component: str) -> list[str]:
        return ["avg_speed_mph", "fare_amount", "trip_distance", "trip_duration_min"]

    def correctness(self, component: str) -> Correctness:
        return DEFAULT


# -- fixture files ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One golden case: where it is, its OQL, and the text it should compile to (None until written)."""

    file: str
    number: int  # 1 for the first case of its file
    oql: str
    expected: str | None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.number}"


@dataclass(frozen=True)
class Fixture:
    preamble: str  # the lines before the first case, kept as they are
    cases: list[Case]


def is_oql_line(line: str) -> bool:
    return line.startswith(OQL_LINE)


def oql_of(line: str) -> str:
    text = line[len(OQL_LINE):]
    return text[1:] if text.startswith(" ") else text


def parse_fixture(name: str, text: str) -> Fixture:
    """The cases of a fixture file: each run of `-- oql:` lines, and the text up to the next such run."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    starts = [i for i, line in enumerate(lines) if is_oql_line(line) and (i == 0 or not is_oql_line(lines[i - 1]))]
    if not starts:
        raise ValueError(f"{name} has no `{OQL_LINE}` line")
    cases = []
    for number, (start, stop) in enumerate(zip(starts, starts[1:] + [len(lines)]), start=1):
        body = start
        while body < stop and is_oql_line(lines[body]):
            body += 1
        oql = "\n".join(oql_of(line) for line in lines[start:body])
        expected = "\n".join(lines[body:stop]).strip("\n")
        cases.append(Case(name, number, oql, expected or None))
    preamble = "".join(line + "\n" for line in lines[:starts[0]])
    return Fixture(preamble, cases)


def render_fixture(fixture: Fixture) -> str:
    blocks = []
    for case in fixture.cases:
        header = "".join(f"{OQL_LINE} {line}\n" if line else f"{OQL_LINE}\n" for line in case.oql.split("\n"))
        expected = case.expected or ""
        if expected != expected.strip("\n") or any(is_oql_line(line) for line in expected.split("\n")):
            raise ValueError(f"{case.id}: the expected text cannot be written between `{OQL_LINE}` lines")
        blocks.append(f"{header}\n{expected}\n" if expected else header)
    return fixture.preamble + "\n".join(blocks)


def read_fixture(path: Path) -> Fixture:
    return parse_fixture(path.name, path.read_text(encoding="utf-8"))


def fixture_paths() -> list[Path]:
    return sorted(GOLDEN.glob("*.sql"))


def write_expected(case: Case, expected: str) -> None:
    """Replace the expected text of `case` in its file, leaving every other line of the file as it was."""
    path = GOLDEN / case.file
    fixture = read_fixture(path)
    cases = list(fixture.cases)
    assert cases[case.number - 1].oql == case.oql, f"{path.name} changed while the tests ran"
    cases[case.number - 1] = replace(case, expected=expected)
    path.write_text(render_fixture(Fixture(fixture.preamble, cases)), encoding="utf-8")


CASES = [case for path in fixture_paths() for case in read_fixture(path).cases]


def compiled(text: str) -> Plan:
    script = parse(text)
    assert len(script.statements) == 1, "a golden case is one statement"
    return compile_statement(script.statements[0], StubCatalog(), script.texts[0], NOW)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_compiles_to_golden_sql(case):
    explained = compiled(case.oql).explain()
    if UPDATING:
        write_expected(case, explained)
        return
    assert case.expected is not None, f"{case.id} has no expected text yet: write it with OBSQL_UPDATE_GOLDEN=1"
    assert explained == case.expected, (f"{case.id} ({case.oql!r}) compiles to other SQL; after a deliberate "
                                        "compiler change, rewrite the goldens with OBSQL_UPDATE_GOLDEN=1")


def test_fixture_files_are_as_the_update_switch_writes_them():
    """So that rewriting the goldens changes expected texts only: no stray files, nothing lost in a round trip."""
    names = sorted(path.name for path in GOLDEN.iterdir())
    assert names == [path.name for path in fixture_paths()], "golden/ holds only .sql fixture files"
    for path in fixture_paths():
        assert render_fixture(read_fixture(path)) == path.read_text(encoding="utf-8"), path.name
    oql = [case.oql for case in CASES]
    assert sorted({text for text in oql if oql.count(text) > 1}) == [], "a statement is in more than one case"


def test_fixture_format_round_trips():
    text = ("-- about\n\n-- oql: runs\n-- oql:\n-- oql: | limit 3\n\nSELECT 1\n-- parameters:\n\nSELECT 2\n\n"
            "-- oql: recent\n")
    fixture = parse_fixture("f.sql", text)
    assert fixture.preamble == "-- about\n\n"
    assert [(c.id, c.oql, c.expected) for c in fixture.cases] == [
        ("f.sql:1", "runs\n\n| limit 3", "SELECT 1\n-- parameters:\n\nSELECT 2"), ("f.sql:2", "recent", None)]
    assert render_fixture(fixture) == text


def test_cases_cover_every_statement_kind():
    kinds = {type(compiled(case.oql)).__name__ for case in CASES}
    assert kinds == {"SqlPlan", "StepPlan", "ExpectPlan"}
    first_words = {case.oql.split()[0] for case in CASES}
    assert set(STATEMENT_KEYWORDS) <= first_words


# -- Spark --------------------------------------------------------------------------------------------------------
# Cases whose SQL does not reach Spark cleanly yet (by case id, e.g. "history.sql:3"), and why: information for the
# compiler's owner.
NOT_TRANSPILED: dict[str, str] = {}


def sql_literal(value) -> str:
    """A bound value written as a SQL literal both dialects read the same way."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal form for {value!r}")


def with_literals(sql: str, params: dict) -> str:
    return re.sub(r"\$(p\d+)\b", lambda m: sql_literal(params[m.group(1)]), sql)


def sql_texts(plan: Plan) -> list[str]:
    """Each SQL text a plan runs as one query, with its parameters written in."""
    if isinstance(plan, ExpectPlan):
        texts = sql_texts(plan.query)
        return texts + ([with_literals(plan.condition_sql, plan.params)] if plan.condition_sql else [])
    return [with_literals(plan.sql, plan.params)]


def to_spark(sql: str) -> list[str]:
    return sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


def functions_unknown_to_sqlglot(sql: str) -> set[str]:
    """Calls sqlglot parses as anonymous: it writes them out unchanged, whatever the target dialect."""
    return {call.name for call in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Anonymous)}


def runs_as_sql(text: str) -> bool:
    """Whether the statement is answered by SQL alone (lineage walks and cards bind their steps at run time).

    A statement that does not compile counts as SQL, so that its failure shows in its own test, not at collection.
    """
    try:
        plan = compiled(text)
    except Exception:
        return True
    return isinstance(plan.query if isinstance(plan, ExpectPlan) else plan, SqlPlan)


SQL_CASES = [
    pytest.param(case, id=case.id,
                 marks=[pytest.mark.xfail(strict=True, reason=NOT_TRANSPILED[case.id])] if case.id in NOT_TRANSPILED
                 else [])
    for case in CASES if runs_as_sql(case.oql)
]


@pytest.mark.parametrize("case", SQL_CASES)
def test_sql_transpiles_to_spark(case):
    for sql in sql_texts(compiled(case.oql)):
        assert len(to_spark(sql)) == 1
        assert functions_unknown_to_sqlglot(sql) == set()


@pytest.mark.parametrize("value, literal", [
    ("it's", "'it''s'"),
    (0.5, "0.5"),
    (datetime(2020, 3, 1, 12, 0, tzinfo=timezone.utc), "'2020-03-01 12:00:00+00:00'"),
])
def test_bound_values_become_quoted_literals(value, literal):
    assert sql_literal(value) == literal


def test_placeholders_are_replaced_whole():
    assert with_literals("$p1 + $p10", {"p1": 1, "p10": 10}) == "1 + 10"
