"""The dot commands, each run through the shell as typed, and the registry that `.help` and completion share."""
from __future__ import annotations

import polars as pl
import pytest

import obsql
from obsql.repl.commands import COMMANDS
from obsql.repl.names import StoreNames
from obsql.storage.schemas import TABLES
from tests.repl.conftest import WAIT_SECONDS


def test_help_lists_every_command_of_the_registry(shell):
    shell.handle(".help")
    out = shell.out.getvalue()
    for command in COMMANDS.values():
        assert f"{command.usage}" in out and command.help in out


def test_help_about_a_statement_comes_from_the_reference(shell):
    shell.handle(".help trace")
    out = shell.out.getvalue()
    assert out.startswith("trace '<pointer>' [depth <n>]\ntrace forward '<pointer>' [depth <n>]\n  e.g. trace '")
    assert "trace outputs of <component>" in out and "Returns the lineage of an output" in out
    shell.handle("help tags;")  # without the dot, as psql takes it
    assert "tags\n  e.g. tags | where n_components > 1" in shell.out.getvalue()
    shell.handle(".help trac")
    assert "no command or statement called trac\nhint: did you mean 'trace'?" in shell.out.getvalue()


def test_help_about_one_command(shell):
    shell.handle(".help mode")
    assert shell.out.getvalue() == ".mode table|csv|json|markdown|line\n  how results print\n"


@pytest.mark.parametrize(("line", "expected"), [
    (".mode json", '[\n  {\n    "component": "train"\n  },'),
    (".mode markdown", "| component |\n| --- |\n| train |"),
    (".mode table", "component\n---------\ntrain"),
])
def test_mode_changes_how_results_print(shell, line, expected):
    shell.handle(line)
    shell.handle("runs of train | select component;")
    assert expected in shell.out.getvalue()


def test_x_switches_expanded_rows(shell):
    assert shell.settings.expanded == "auto"
    for line, state in [(".x", "on"), (".x", "off"), (".x auto", "auto"), (".x ON", "on")]:
        shell.handle(line)
        assert shell.settings.expanded == state and shell.out.getvalue().endswith(f"expanded {state}\n")
    shell.handle("runs of train | select component, status;")  # on: column = value lines, even off a screen
    assert "component = train\n   status = ok" in shell.out.getvalue()
    shell.handle(".x sometimes")
    assert "expected auto or on or off but found 'sometimes'" in shell.out.getvalue()


def test_watch_runs_a_statement_again_until_ctrl_c(shell, monkeypatch):
    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("obsql.repl.commands.sleep", nap)  # the watch's pause only, not every thread's time.sleep
    shell.handle(".watch 0.5 runs of train | select component;")
    out = shell.out.getvalue()
    assert naps == [0.5, 0.5] and out.count("-- every 0.5 s, at ") == 2 and out.count("train\ntrain") == 2
    assert out.endswith("watch stopped\n")
    shell.handle(".watch soon runs")
    assert "expected a number of seconds above 0, then a statement" in shell.out.getvalue()


def test_timer_and_explain(shell):
    shell.handle(".timer on")
    shell.handle(".explain on")
    shell.handle("recent 1;")
    out = shell.out.getvalue()
    assert "SELECT run_id, component" in out and "\ntime: " in out
    shell.handle(".timer off")
    shell.handle(".explain off")
    shell.out.truncate(0)
    shell.handle("recent 1;")
    assert "time: " not in shell.out.getvalue() and "SELECT" not in shell.out.getvalue()


@pytest.mark.parametrize(("line", "message"), [
    (".mode xml", "error (input): expected table or csv or json or markdown or line but found 'xml'"),
    (".mode cvs", "hint: did you mean 'csv'?"),
    (".timer", "hint: usage: .timer on|off"),
    (".mdoe csv", "error (input): unknown command .mdoe\nhint: did you mean '.mode'?"),
    (".schema runz", "error (input): no table 'runz'\nhint: did you mean 'runs'?"),
    (".read", "error (input): this command needs a path"),
    (".read /nonexistent/q.oql", "error (input): cannot read /nonexistent/q.oql"),
    (".store /nonexistent/store", "error (store)"),
])
def test_wrong_arguments_are_errors_not_tracebacks(shell, line, message):
    shell.handle(line)
    assert message in shell.out.getvalue()
    assert not shell.done


def test_read_runs_a_file_of_statements(shell, tmp_path):
    script = tmp_path / "q.oql"
    script.write_text("# two statements\nruns of train | select component | limit 1;\nrecent 1 | select component;\n")
    shell.handle(f".read {script}")
    prompt = f"obsql:{shell.store_name}> "
    assert shell.out.getvalue() == (f"{prompt}runs of train | select component | limit 1;\n"
                                    "component\n---------\ntrain\n(1 row)\n"
                                    f"{prompt}recent 1 | select component;\ncomponent\n---------\ninfer\n(1 row)\n")


def test_output_sends_results_to_a_file_until_turned_off(shell, tmp_path):
    target = tmp_path / "out.txt"
    shell.handle(f".output {target}")
    shell.handle(".mode csv")
    shell.handle("runs of train | select component;")
    shell.handle(".output")
    shell.handle("recent 1 | select component;")
    assert target.read_text() == "component\ntrain\ntrain\n"
    assert shell.out.getvalue().endswith("mode csv\ncomponent\ninfer\n")


def test_store_opens_another_store(shell, store_path, tmp_path):
    shell.handle(f".store {store_path}")
    assert shell.out.getvalue() == f"store {store_path}\n"
    assert shell.engine.store.root == store_path


def test_tables_and_schema(shell):
    shell.handle(".tables")
    assert shell.out.getvalue().split() == list(TABLES)
    shell.out.truncate(0)
    shell.out.seek(0)
    shell.handle(".schema flags")
    assert shell.out.getvalue() == ("flags\n  pointer  VARCHAR\n  flagged  BOOLEAN\n  ts       TIMESTAMPTZ\n"
                                    "  date     DATE  (partition)\n")


def test_a_flag_refreshes_the_names_completion_offers(shell):
    shell.names.refresh().join()
    assert shell.names.flagged() == []
    try:
        shell.handle("flag 'pred-2';")
        assert shell.names.loaded.wait(WAIT_SECONDS)
        assert shell.names.flagged() == ["pred-2"]
    finally:
        shell.handle("unflag all;")


def test_history_prints_a_sparkline_per_metric(shell):
    shell.handle("history train metric accuracy;")
    assert shell.out.getvalue().splitlines()[-1] == "accuracy  ▁█  min 0.8  max 0.85  last 0.85"


def test_timeout_cancels_a_statement_that_runs_longer_and_keeps_the_shell(shell):
    shell.handle(".timeout 0.5")
    shell.handle("sql select count(*) from range(10000000000) as t(i) where i % 7 = 3;")
    shell.handle(".timeout")
    shell.handle(".timeout soon")
    out = shell.out.getvalue()
    assert "timeout 0.5 s" in out and "ran past its time limit (0.5 s) and was cancelled" in out
    assert "expected a number of seconds but found 'soon'" in out
    shell.handle(".timeout 0")
    shell.handle("recent 1;")
    assert "timeout off" in shell.out.getvalue() and "(1 row)" in shell.out.getvalue()



def test_the_names_find_run_ids_by_prefix(shell):
    [run_id] = [row[0] for row in shell.engine.run("runs of etl | select run_id")[-1].rows]
    assert shell.names.run_ids(run_id[:-3]) == [run_id]
    assert shell.names.run_ids("no such run") == []


def test_the_names_hold_each_components_data_columns(tmp_path):
    store = obsql.connect(tmp_path / "store")
    with obsql.run("score", inputs=["raw"]) as run:
        run.add_output(pl.DataFrame({"fare": [1.0, 2.0], "zone": ["a", "b"]}), var="scored")
    store.close()
    names = StoreNames(tmp_path / "store")
    try:
        names.refresh().join()
        assert names.columns("score") == ["fare", "zone"] and names.columns("other") == []
    finally:
        names.close()
