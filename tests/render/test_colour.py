"""Colour on a terminal only: headers bold, stale marks red, errors red with a cyan hint; plain for pipes, files,
machine formats, NO_COLOR and TERM=dumb."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

import pytest

from obsql.render.colour import colour_error, colour_result, plain, wanted
from tests.oql.conftest import build

BOLD, DIM, RED, END = "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[0m"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_tables_header_is_bold_and_its_rule_dim():
    text = "component  runs\n---------  ----\netl        3\n(1 row)"
    coloured = colour_result(text, "table", "table")
    assert coloured.splitlines()[:2] == [f"{BOLD}component  runs{END}", f"{DIM}---------  ----{END}"]
    assert plain(coloured) == text
    assert colour_result(text, "table", "csv") == text  # machine formats stay plain


def test_a_trace_marks_stale_runs_red_and_their_reasons_yellow():
    text = "infer run 01 (2020-01-03 00:00:00) ok [stale]\n    ! train (run 02) was run 39 days ago"
    coloured = colour_result(text, "trace", "table")
    assert f"{RED}[stale]{END}" in coloured and coloured.splitlines()[1].startswith("\x1b[33m")
    assert plain(coloured) == text


def test_an_error_is_red_with_its_caret_and_a_cyan_hint():
    text = "error (syntax): line 1, column 6: unknown word 'wher'\n  runs wher\n       ^\nhint: did you mean 'where'?"
    lines = colour_error(text).splitlines()
    assert lines[0].startswith("\x1b[1;31m") and lines[1] == "  runs wher"
    assert lines[2] == f"{RED}       ^{END}" and lines[3].startswith("\x1b[36m")


def test_colour_is_wanted_on_a_terminal_unless_no_color_or_a_dumb_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert wanted(Terminal()) and not wanted(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wanted(Terminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not wanted(Terminal())


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("colour") / "store")
    store.close()
    return store.path


def on_a_terminal(args: list[str], **env: str) -> str:
    """What `obsql ARGS` writes to standard output when that is a terminal (a pseudo-terminal here)."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm", **env}
    done = subprocess.run([sys.executable, "-m", "obsql", *args], stdout=follower, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=environment, timeout=600)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode()


def test_the_command_line_colours_a_terminal_only(store_path):
    query = ["--store", str(store_path), "-c", "runs of etl | select component"]
    assert BOLD + "component" in on_a_terminal(query)
    assert "\x1b[" not in on_a_terminal(query, NO_COLOR="1")
    assert "\x1b[" not in on_a_terminal([*query, "-csv"])
