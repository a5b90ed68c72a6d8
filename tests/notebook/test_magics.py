"""`%load_ext obsql` with a stand-in for IPython's shell: the magics it registers and what they return."""
from __future__ import annotations

import obsql
from obsql.result import Result


class FakeShell:
    """Records magics the way IPython's `register_magic_function` receives them."""

    def __init__(self) -> None:
        self.magics: dict[tuple[str, str], object] = {}

    def register_magic_function(self, func, magic_kind="line", magic_name=None) -> None:
        self.magics[(magic_kind, magic_name or func.__name__)] = func


def loaded() -> object:
    shell = FakeShell()
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
