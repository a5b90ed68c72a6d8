"""`%load_ext obsql` with a stand-in for IPython's shell: the magics it registers and what they return."""
from __future__ import annotations

import obsql
from obsql.result import Result


class FakeShell:
    """Records magics the way IPython's `register_magic_function` receives them."""

    def __init__(self) -> None:
        self.magics: dict[tuple[str, str], object] = {}
        self.user_ns: dict[str, object] = {}

    def register_magic_function(self, func, magic_kind="line", magic_name=None) -> None:
        self.magics[(magic_kind, magic_name or func.__name__)] = func


def loaded(shell: FakeShell | None = None) -> object:
    shell = shell or FakeShell()
    obsql.load_ipython_extension(shell)
    assert list(shell.magics) == [("line_cell", "oql")]
    return shell.magics[("line_cell", "oql")]


def test_line_and_cell_magics_query_the_connected_store(store):
    with store.run("clean", outputs=["clean.parquet"]):
        pass
    store.flush()
    magic = loaded()
    line = magic("runs | select component")
    cell = magic("", "recent 5;\nruns of clean | select component")
    assert isinstance(line, Result) and line.rows == [("clean",)]
    assert cell.rows == [("clean",)]


def test_a_cell_magic_keeps_its_result_in_the_variable_named(store, capsys):
    with store.run("clean", outputs=["clean.parquet"]):
        pass
    store.flush()
    shell = FakeShell()
    magic = loaded(shell)
    kept = magic("cleaned", "runs | select component")
    assert shell.user_ns["cleaned"] is kept and kept.rows == [("clean",)]
    assert magic("not a name", "runs") is None and "takes a variable name" in capsys.readouterr().err


def test_ipython_shows_a_query_error_as_its_message_not_a_traceback(store):
    try:
        obsql.query("runs of clean | limt 1")
    except obsql.ObsqlError as err:
        lines = err._render_traceback_()
    assert lines[0].startswith("error (syntax): line 1, column 17") and any(set(l.strip()) == {"^"} for l in lines)
    assert not any("Traceback" in line or "File " in line for line in lines)


def test_an_error_prints_its_caret_and_returns_nothing(store, capsys):
    assert loaded()("runs of clean | limt 1") is None
    err = capsys.readouterr().err
    assert "error (syntax)" in err and "^" in err and "Traceback" not in err


def test_a_result_draws_itself_as_html_text_and_a_chart(store):
    with store.run("clean", outputs=["clean.parquet"]) as run:
        run.log_metric("rows", 10)
    store.flush()
    runs = obsql.query("runs | select component")
    assert runs._repr_html_().startswith('<div class="obsql-result obsql-table">')
    assert repr(runs).splitlines()[0] == "component" and "(1 row)" in repr(runs)
    assert "<svg" in obsql.query("history clean metric rows").plot()._repr_svg_()
