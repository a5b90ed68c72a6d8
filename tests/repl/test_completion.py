"""Completion by context: a table of (text before the cursor, the words offered), over a fixed set of names."""
from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from obsql.compiler.catalog import DERIVED_METRICS
from obsql.grammar.parser import STATEMENT_KEYWORDS
from obsql.repl.completion import COLUMNS, OqlCompleter, completion_context


class FixedNames:
    """The store's names, fixed for the table."""

    def components(self) -> list[str]:
        return ["clean", "etl", "feature-gen.v2", "infer"]

    def metrics(self, component: str) -> list[str]:
        return {"infer": ["accuracy", "latency_ms"]}.get(component, []) + list(DERIVED_METRICS)

    def flagged(self) -> list[str]:
        return ["pred-1", "pred-9"]

    def pointers(self, prefix: str) -> list[str]:
        return [p for p in ["data.parquet", "it's.csv", "pred-1", "pred-2"] if p.startswith(prefix)]

    def columns(self, component: str) -> list[str]:
        return {"clean": ["fare", "zone"], "infer": ["fare", "score"]}.get(component, [])

    def run_ids(self, prefix: str) -> list[str]:
        return [r for r in ["01J8ZQA", "01J8ZQB", "01K0000"] if r.startswith(prefix)]


def offered(text: str, tab: bool = True) -> list[str]:
    event = CompleteEvent(completion_requested=tab)
    return [c.text for c in OqlCompleter(FixedNames()).get_completions(Document(text), event)]


CASES = [
    # keywords
    ("", [*STATEMENT_KEYWORDS, "exit", "quit"]),
    ("hi", ["history"]),
    ("RU", ["runs"]),
    ("runs; rec", ["recent"]),
    ("runs | ", ["where", "select", "order", "group", "limit", "rank"]),
    ("runs | or", ["order"]),
    ("runs | order ", ["by"]),
    ("trace ", ["forward", "outputs"]),
    ("inspect ", ["run"]),
    ("unflag ", ["all"]),
    ("runs since 7 ", ["seconds", "minutes", "hours", "days", "weeks", "months", "years"]),
    ("runs since 1 d", ["day"]),
    ("history infer every ", ["second", "minute", "hour", "day", "week", "month", "year"]),
    ("runs of clean s", ["since"]),  # only what the grammar accepts there
    ("runs of clean ", ["where", "since", "until", "between"]),
    ("history infer ", ["metric", "since", "until", "between", "every"]),
    ("trace 'pred-1' ", ["depth"]),
    ("expect runs ", ["of", "where", "since", "until", "between", "is"]),
    ("compare clean where status = 'ok' ", ["since", "until", "between", "and", "with", "or"]),
    ("runs | order by start_time ", ["between", "and", "asc", "desc", "or", "not", "is", "in", "like", "ilike"]),
    ("runs | limit 5 ", []),
    ("recent 5 ", []),
    # components
    ("runs of ", ["clean", "etl", "feature-gen.v2", "infer"]),
    ("runs of cl", ["clean"]),
    ("runs of feature-g", ["feature-gen.v2"]),
    ("history ", ["clean", "etl", "feature-gen.v2", "infer"]),
    ("stale of e", ["etl"]),
    ("trace outputs of i", ["infer"]),
    ("compare clean with e", ["etl"]),
    ("compare ", ["clean", "etl", "feature-gen.v2", "infer"]),
    # metrics
    ("history infer metric ", ["accuracy", "latency_ms", *DERIVED_METRICS]),
    ("history infer metric accuracy, l", ["latency_ms", "labeled"]),
    ("history etl metric ", list(DERIVED_METRICS)),
    ("expect history infer metric lat", ["latency_ms"]),
    # columns
    ("runs where st", ["start_time", "status", "stale", "stale_reasons"]),
    ("runs of clean where status = 'ok' and du", ["duration_s"]),
    ("recent | select run_id, com", ["component"]),
    ("stale | order by re", ["reasons"]),
    ("trace 'p' | where de", ["depth"]),
    ("trace outputs of infer where la", ["label"]),
    ("trace outputs of infer | rank runs | where cov", ["coverage"]),
    ("history infer | where lat", ["latency_ms"]),
    ("history infer every 1 day | where ru", ["runs"]),
    ("compare clean with infer | where mean_", ["mean_diff", "mean_shift_sd"]),
    ("compare clean where column_", ["column_name"]),
    ("expect runs where sta", ["start_time", "status", "stale", "stale_reasons"]),
    # after a select or group by pipe, what it left: aliases and bare names
    ("runs | select run_id as r, status, duration_s * 2 | where ", ["r", "status"]),
    ("runs | select run_id as r | order by r | limit 3 | where ", ["r"]),
    ("runs | group by component aggregate count(*) as n, avg(duration_s) | order by ", ["component", "n"]),
    ("runs | select run_id, status | select ", ["run_id", "status"]),
    ("runs | select coalesce(error, notes) as why | where w", ["why"]),
    # pointers inside quotes, closed on completion
    ("trace 'pre", ["pred-1'", "pred-2'"]),
    ("trace forward 'd", ["data.parquet'"]),
    ("inspect 'it", ["it''s.csv'"]),
    ("flag '", ["data.parquet'", "it''s.csv'", "pred-1'", "pred-2'"]),
    ("unflag 'p", ["pred-1'", "pred-9'"]),
    # run ids inside quotes, closed on completion
    ("inspect run '01J", ["01J8ZQA'", "01J8ZQB'"]),
    ("note run '01K", ["01K0000'"]),
    # the compared components' data columns after `compare ... on`
    ("compare clean with infer on ", ["fare", "zone", "score", "drift(", "adversarial("]),
    ("compare clean with infer on fare, s", ["score"]),
    ("compare clean until @2020-03-01 with clean since @2020-03-02 on z", ["zone"]),
    ("compare clean with infer on drift(", ["fare", "zone", "score"]),
    ("compare clean with infer on drift(* except z", ["zone"]),
    ("expect compare clean with infer on a", ["adversarial("]),
    ("compare clean with infer on fare | where mean_", ["mean_diff", "mean_shift_sd"]),
    ("runs where status = 'o", []),
    ("runs # a comment ", []),
    # dot commands and their arguments
    (".", [".help", ".mode", ".x", ".timer", ".explain", ".pager", ".timeout", ".watch", ".read", ".output", ".store", ".tables", ".schema",
           ".exit"]),
    (".m", [".mode"]),
    (".mode ", ["table", "csv", "json", "markdown", "line"]),
    (".mode c", ["csv"]),
    (".timer o", ["on", "off"]),
    (".schema ru", ["runs", "run_notes"]),
    (".help .s", [".store", ".schema"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_completion_offers_what_fits_the_context(text, expected):
    assert offered(text) == expected


def test_columns_complete_inside_sql_text():
    assert {"start_time", "status"} <= set(offered("sql select * from runs where st"))


def test_keywords_after_a_space_wait_for_tab_but_names_do_not():
    assert offered("runs of clean ", tab=False) == []
    assert offered("runs of ", tab=False) == ["clean", "etl", "feature-gen.v2", "infer"]


def test_a_pointer_completion_replaces_the_typed_part_and_shows_the_bare_name():
    [completion] = OqlCompleter(FixedNames()).get_completions(Document("inspect 'it"), CompleteEvent())
    assert completion.start_position == -2
    assert completion.display[0][1] == "it's.csv"


def test_file_arguments_complete_paths(tmp_path):
    (tmp_path / "queries.oql").write_text("runs;")
    assert completion_context(f".read {tmp_path}/que").kind == "path"
    assert offered(f".read {tmp_path}/que") == ["ries.oql"]


def test_every_column_offered_is_one_the_engine_accepts(engine):
    """Run a condition on each column each context offers, so the table cannot drift from the compiler."""
    statements = {
        "runs": "runs | where {} is not null", "recent": "recent | where {} is not null",
        "stale": "stale | where {} is not null", "components": "components | where {} is not null",
        "tags": "tags | where {} is not null",
        "trace": "trace 'pred-1' | where {} is not null",
        "outputs": "trace outputs of infer | where {} is not null",
        "outputs where": "trace outputs of infer where {} is not null",
        "rank": "trace outputs of infer | rank runs | where {} is not null",
        "review": "review | where {} is not null", "inspect": "inspect 'pred-1' | where {} is not null",
        "history": "history train | where {} is not null",
        "history every": "history train every 1 day | where {} is not null",
        "compare": "compare infer with infer | where {} is not null",
        "compare where": "compare infer where {} is not null with infer",
        "sql": "sql select {} limit 0",
    }
    assert set(statements) == set(COLUMNS)
    for key, template in statements.items():
        for column in COLUMNS[key]:
            quoted = f'"{column}"' if key != "sql" else f'"{column}" from {_table_of(column)}'
            engine.run(template.format(quoted))


def _table_of(column: str) -> str:
    from obsql.storage.schemas import TABLES

    return next(name for name, spec in TABLES.items() if column in spec.columns)
