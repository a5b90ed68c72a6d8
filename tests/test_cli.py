"""The `obsql` command, run as a subprocess against the small store of tests/oql/conftest.py: exit codes, -f files,
standard input, explain, every --format, and trace trees."""
from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import subprocess
import sys

import pytest

import obsql
from tests.oql.conftest import build

TRACE = "trace 'pred-1'"


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("cli") / "store")
    yield store.path
    store.close()


@pytest.fixture
def paths(cli_store, tmp_path) -> dict[str, str]:
    """Paths the argument tables name: the store, things that are not stores, .oql files good and bad."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.oql").write_text("runs;\nruns wher status = 'ok'\n")
    return {"store": str(cli_store), "missing": str(tmp_path / "missing"), "empty": str(tmp_path / "empty"),
            "bad_file": str(tmp_path / "bad.oql"), "no_file": str(tmp_path / "none.oql")}


def obsql_command(*args: str, stdin: str = "", cwd=None) -> subprocess.CompletedProcess:
    """`python -m obsql ARGS`, with `stdin` piped in (so it is never a terminal)."""
    return subprocess.run([sys.executable, "-m", "obsql", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def query(store, text: str, fmt: str = "table") -> subprocess.CompletedProcess:
    return obsql_command("--store", str(store), "--format", fmt, "-c", text)


# (arguments, exit code, what standard error must contain)
EXITS = [
    (["--store", "{store}", "-c", "runs of etl"], 0, ""),
    (["--store", "{store}", "-c", "expect runs of etl is not empty"], 0, ""),
    (["--store", "{store}", "-c", "expect stale is empty"], 1, "1 expectation(s) failed"),
    (["--store", "{store}", "-c", "runs wher status = 'ok'"], 2, "error (syntax): line 1, column 6"),
    (["--store", "{store}", "-c", "runs of trian"], 2, "no component 'trian' in this store"),
    (["--store", "{store}", "explain", "history trian"], 2, "no component 'trian' in this store"),
    (["--store", "{missing}", "-c", "runs"], 2, "no obsql store at"),
    (["--store", "{empty}", "-c", "runs"], 2, "is not an obsql store"),
    (["--store", "{store}", "-f", "{no_file}"], 2, "cannot read"),
    (["--store", "{store}", "-f", "{empty}"], 2, "cannot read"),
    (["--store", "{store}", "-f", "{bad_file}"], 2, "bad.oql: error (syntax): line 2, column 6"),
]


@pytest.mark.parametrize("args, code, message", EXITS, ids=[" ".join(a[2:]) for a, _, _ in EXITS])
def test_exit_codes(paths, args, code, message):
    done = obsql_command(*[a.format(**paths) for a in args])
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_file_reports_every_failed_expect(cli_store, tmp_path):
    checks = tmp_path / "checks.oql"
    checks.write_text("expect stale is empty;\n"
                      "expect runs of etl is not empty;\n"
                      "# a comment between statements\n"
                      "expect runs of train | count(*) = 5;\n"
                      "recent 1 | select component\n")
    done = obsql_command("--store", str(cli_store), "-f", str(checks))
    assert done.returncode == 1
    assert "FAILED expect stale is empty" in done.stdout
    assert "FAILED expect runs of train | count(*) = 5  (count(*) = 2)" in done.stdout
    assert "ok     expect runs of etl is not empty" in done.stdout
    assert "infer" in done.stdout  # statements after a failure still run
    assert done.stderr.strip() == "2 expectation(s) failed"


def test_queries_on_stdin(cli_store):
    done = obsql_command("--store", str(cli_store), "--format", "csv",
                         stdin="runs of etl | select component;\nruns of clean | select component\n")
    assert done.returncode == 0
    assert done.stdout.split() == ["component", "etl", "component", "clean"]


def test_explain_prints_the_sql(cli_store):
    done = obsql_command("--store", str(cli_store), "explain", "runs of clean | limit 1")
    assert done.returncode == 0
    assert done.stdout.startswith("SELECT ")
    assert "  FROM runs\n  WHERE \"component\" = $p1\n" in done.stdout  # laid out: a clause a line
    assert "--   $p1 = 'clean'" in done.stdout


def test_explain_name_errors_show_the_line_with_a_caret(cli_store):
    done = obsql_command("--store", str(cli_store), "explain", "runs of trian")
    assert "  runs of trian\n" in done.stderr


def test_json_is_an_array_of_row_objects(cli_store):
    done = query(cli_store, "runs of train | select component, start_time", "json")
    assert json.loads(done.stdout) == [{"component": "train", "start_time": "2020-01-01T03:00:00Z"},
                                       {"component": "train", "start_time": "2020-01-02T00:00:00Z"}]


def test_json_holds_decimals_and_infinities_from_sql(cli_store):
    done = query(cli_store, "sql select 1.5::DECIMAL(4,2) AS d, 'infinity'::DOUBLE AS i", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"d": 1.5, "i": None}]


def test_csv_has_a_header(cli_store):
    done = query(cli_store, "runs | group by component aggregate count(*) as n | order by n desc, component | limit 2",
                 "csv")
    assert list(csv.reader(done.stdout.splitlines())) == [["component", "n"], ["features", "2"], ["infer", "2"]]


def test_markdown_has_a_header_rule(cli_store):
    done = query(cli_store, "runs of etl | select component, status", "markdown")
    assert done.stdout.splitlines() == ["| component | status |", "| --- | --- |", "| etl | ok |"]


def column_spans(rule: str) -> list[tuple[int, int]]:
    """Where each column lies in a table's rule of dashes, as (start, end) offsets."""
    return [match.span() for match in re.finditer(r"-+", rule)]


def test_table_aligns_columns(cli_store):
    done = query(cli_store, "components | select component, runs, stale")
    header, rule, *rows, footer = done.stdout.splitlines()
    spans = column_spans(rule)
    assert len(spans) == 3 and len(rows) == 7 and footer == "(7 rows)"
    for line in [header, *rows]:
        cells = [line[start:end] for start, end in spans]
        assert "".join(cells).replace(" ", "") == line.replace(" ", "")  # nothing outside a column
        assert not cells[0].startswith(" ")  # text on the left
    assert all(row[slice(*spans[1])].endswith(tuple("0123456789")) for row in rows)  # numbers on the right


def test_trace_prints_an_indented_tree(cli_store):
    rows = json.loads(query(cli_store, TRACE, "json").stdout)
    tree = query(cli_store, TRACE).stdout.splitlines()
    run_lines = [line for line in tree if " run " in line and not line.lstrip().startswith(("via ", "! "))]
    assert [(len(line) - len(line.lstrip())) // 4 for line in run_lines] == [row["depth"] for row in rows]
    assert [line.split()[0] for line in run_lines] == [row["component"] for row in rows]
    assert tree[0].startswith("infer run ") and tree[-2].endswith("(repeated, see above)")


def test_compact_merges_rebuilds_the_index_and_queries_still_answer(tmp_path):
    store = build(tmp_path / "store")
    store.close()
    before = query(store.path, TRACE).stdout
    done = obsql_command("--store", str(store.path), "compact")
    assert done.returncode == 0, done.stderr
    assert "compacted" in done.stdout and "lineage index rebuilt: 11 runs" in done.stdout
    assert query(store.path, TRACE).stdout == before


def test_check_names_unreadable_files_and_exits_2(tmp_path):
    store = build(tmp_path / "store")
    store.close()
    assert obsql_command("--store", str(store.path), "check").returncode == 0
    bad = next((store.path / "runs").rglob("*.parquet")).with_name("zz-bad.parquet")
    bad.write_bytes(b"not parquet")
    checked = obsql_command("--store", str(store.path), "check")
    assert checked.returncode == 2 and str(bad) in checked.stdout and "1 unreadable file(s)" in checked.stderr


def test_a_statement_past_its_time_or_memory_limit_is_cancelled_with_an_error_that_says_which(paths):
    endless = "sql select count(*) from range(10000000000) as t(i) where i % 7 = 3"
    done = obsql_command("--store", paths["store"], "--timeout", "0.5", "-c", endless)
    assert done.returncode == 2
    assert "ran past its time limit (0.5 s) and was cancelled" in done.stderr and "--timeout" in done.stderr
    hungry = ("sql select list(i) over (order by i rows between unbounded preceding and current row) as l "
              "from range(3000000) as t(i) order by i desc limit 1")
    done = obsql_command("--store", paths["store"], "--memory-limit", "20MB", "-c", hungry)
    assert done.returncode == 2 and "needs more memory than its limit (20MB)" in done.stderr


def test_the_command_exits_with_its_own_code_every_time(paths):
    """A statement's time-limit timer still ending as the interpreter exited made one run in three abort (134)."""
    codes = {obsql_command("--store", paths["store"], "-c", "runs of trian").returncode for _ in range(10)}
    assert codes == {2}


# -- the flags people reach for (psql's, DuckDB's) -------------------------------------------------------------------
def test_version():
    done = obsql_command("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"obsql {obsql.__version__}"


def test_a_query_may_stand_alone_as_in_duckdbs_cli(cli_store):
    alone = obsql_command("--store", str(cli_store), "-csv", "runs of etl | select component",
                          "recent 1 | select component")
    given = obsql_command("--store", str(cli_store), "-csv", "-c", "runs of etl | select component",
                          "-c", "recent 1 | select component")
    assert alone.returncode == given.returncode == 0 and alone.stdout == given.stdout
    assert alone.stdout.split() == ["component", "etl", "component", "infer"]
    command = obsql_command("--store", str(cli_store), "-csv", "tags")  # a command's name stays the command
    assert command.returncode == 0 and command.stdout.strip() == "tag,components,n_components"


@pytest.mark.parametrize("shorthand, fmt", [("-csv", "csv"), ("-json", "json"), ("-markdown", "markdown"),
                                            ("-x", "line"), ("-line", "line"),
                                            ("--format=CSV", "csv"), ("--format=Json", "json")])
def test_format_shorthands_and_any_case(cli_store, shorthand, fmt):
    done = obsql_command("--store", str(cli_store), shorthand, "-c", "runs of train | select component, stale")
    expected = query(cli_store, "runs of train | select component, stale", fmt).stdout
    assert done.returncode == 0 and done.stdout == expected


def test_output_goes_to_the_file_named(cli_store, tmp_path):
    target = tmp_path / "runs.csv"
    done = obsql_command("--store", str(cli_store), "-csv", "-o", str(target), "-c", "runs of etl | select component")
    assert done.returncode == 0 and done.stdout == ""
    assert target.read_text().split() == ["component", "etl"]
    refused = obsql_command("--store", str(cli_store), "--output", str(tmp_path / "no" / "dir" / "r.csv"), "-c", "runs")
    assert refused.returncode == 2 and "cannot write" in refused.stderr


def test_no_header_prints_the_rows_alone(cli_store):
    rows = "runs of train | select component, stale"
    assert query_with(cli_store, "--no-header", "-csv", rows).splitlines() == ["train,false", "train,false"]
    table = query_with(cli_store, "--no-header", rows).splitlines()
    assert [line.split() for line in table] == [["train", "false"], ["train", "false"]]


def query_with(store, *args: str) -> str:
    done = obsql_command("--store", str(store), *args[:-1], "-c", args[-1])
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quiet_leaves_notes_out(cli_store, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(cli_store, copy)
    (copy / "_spool").mkdir(exist_ok=True)
    (copy / "_spool" / "01AAAAAAAAAAAAAAAAAAAAAAAA-000000.spool").write_bytes(b"")  # a writer that stopped
    noted = obsql_command("--store", str(copy), "-c", "runs of etl")
    quiet = obsql_command("--store", str(copy), "-q", "-c", "runs of etl")
    assert "note: 1 spool file(s) of stopped writers" in noted.stderr
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == noted.stdout


def test_statements_from_standard_input_with_f_dash(cli_store):
    done = obsql_command("--store", str(cli_store), "-csv", "-f", "-", stdin="runs of etl | select component")
    assert done.returncode == 0 and done.stdout.split() == ["component", "etl"]


def test_as_of_sets_what_now_means(cli_store):
    week = "runs since 7 days ago | select component | order by start_time | limit 1"
    assert query_with(cli_store, "-csv", week).split() == ["component"]  # the store's runs are from 2020
    assert query_with(cli_store, "-csv", "--as-of", "2020-01-04", week).split() == ["component", "etl"]
    assert query_with(cli_store, "-csv", "--as-of", "@2020-02-13T00:00", week).split() == ["component", "infer"]
    explained = obsql_command("--store", str(cli_store), "explain", "--as-of", "2020-01-04", "runs since 1 day ago")
    assert "datetime.datetime(2020, 1, 3, 0, 0, tzinfo=datetime.timezone.utc)" in explained.stdout
    bad = obsql_command("--store", str(cli_store), "--as-of", "2020-13-01", "-c", "runs")
    assert bad.returncode == 2 and "expected a date or a date and time" in bad.stderr


def test_a_script_stops_at_its_first_error_unless_told_to_go_on(cli_store, tmp_path):
    script = tmp_path / "mixed.oql"
    script.write_text("runs of etl | select component;\nruns wher x;\nruns of nosuch;\n"
                      "expect stale is empty;\nrecent 1 | select component\n")
    stopped = obsql_command("--store", str(cli_store), "-csv", "-f", str(script))
    assert stopped.returncode == 2 and stopped.stdout == ""  # a syntax error: nothing of the file runs
    went_on = obsql_command("--store", str(cli_store), "-csv", "--no-bail", "-f", str(script))
    assert went_on.returncode == 2 and went_on.stdout.splitlines() == [
        "component", "etl", "expectation,passed,observed", "expect stale is empty,false,3 row(s)", "component", "infer"]
    assert "line 2, column 6" in went_on.stderr and "line 3, column 9: no component 'nosuch'" in went_on.stderr
    assert went_on.stderr.rstrip().endswith("2 statement(s) failed")


def test_a_missing_store_points_at_the_demo(tmp_path):
    done = obsql_command("--store", str(tmp_path / "none"), "-c", "runs")
    assert done.returncode == 2 and "`obsql demo`" in done.stderr


def test_durations_print_as_seconds_in_every_format(cli_store):
    duration = "sql select end_time - start_time as took from runs where component = 'etl'"
    assert query(cli_store, duration, "csv").stdout.split() == ["took", "300.0"]
    assert json.loads(query(cli_store, duration, "json").stdout) == [{"took": 300.0}]
    assert query(cli_store, duration).stdout.splitlines()[2] == "300"


def test_watch_runs_the_statements_again_until_ctrl_c(cli_store):
    watching = subprocess.Popen([sys.executable, "-m", "obsql", "--store", str(cli_store), "--watch", "0.2", "-csv",
                                 "-c", "runs of etl | select component"], stdout=subprocess.PIPE, text=True)
    rounds = [watching.stdout.readline() for _ in range(6)]  # two rounds: a header, the csv header, the row
    watching.send_signal(signal.SIGINT)
    assert watching.wait(timeout=600) == 0
    assert [line.startswith("-- every 0.2 s, at ") for line in rounds] == [True, False, False] * 2
    assert rounds[1:3] == ["component\n", "etl\n"] == rounds[4:6]
