"""Whole shell sessions through prompt-toolkit's pipe input: what a person types, what the shell prints."""
from __future__ import annotations

from tests.repl.conftest import drive


def test_a_query_and_its_output(shell):
    code = drive(shell, lambda keys: keys.type("runs of train | select component;\r.exit\r"))
    assert code == 0
    assert "component\n---------\ntrain\ntrain\n(2 rows)\n" in shell.out.getvalue()


def test_tab_completes_a_component_name(shell):
    def script(keys):
        keys.wait_for_names()
        keys.type("runs of cl")
        keys.wait_for_menu()
        keys.type("\t")
        keys.wait_for_buffer("runs of clean")
        keys.type(" | select component;\r.exit\r")

    drive(shell, script)
    assert "component\n---------\nclean\n(1 row)\n" in shell.out.getvalue()


def test_enter_continues_an_unfinished_statement_on_a_new_line(shell):
    drive(shell, lambda keys: keys.type("runs of train\r| select component\r| limit 1;\r.exit\r"))
    assert "component\n---------\ntrain\n(1 row)\n" in shell.out.getvalue()


def test_alt_enter_runs_a_statement_without_its_semicolon(shell):
    drive(shell, lambda keys: keys.type("recent 1 | select component\x1b\r.exit\r"))
    assert "component\n---------\ninfer\n(1 row)\n" in shell.out.getvalue()


def test_a_syntax_error_shows_the_caret_and_the_shell_goes_on(shell):
    drive(shell, lambda keys: keys.type("runs of train | limt 1;\rrecent 1 | select component;\r.exit\r"))
    out = shell.out.getvalue()
    assert "error (syntax): line 1, column 17: unknown word 'limt'" in out
    assert "  runs of train | limt 1;\n" + " " * 18 + "^\nhint: did you mean 'limit'?" in out
    assert "component\n---------\ninfer\n(1 row)" in out
    assert "Traceback" not in out


def test_mode_csv_prints_csv(shell):
    drive(shell, lambda keys: keys.type(".mode csv\rruns of train | select component;\r.exit\r"))
    assert "mode csv\ncomponent\ntrain\ntrain\n" in shell.out.getvalue()


def test_exit_quit_and_ctrl_d_leave(shell):
    for leave in (".exit\r", "exit\r", "quit;\r", "\x04"):
        shell.done = False
        assert drive(shell, lambda keys: keys.type(leave)) == 0


def test_ctrl_c_at_the_prompt_clears_the_line(shell):
    drive(shell, lambda keys: keys.type("runs of nothing\x03recent 1 | select component;\r.exit\r"))
    out = shell.out.getvalue()
    assert "nothing" not in out and "component\n---------\ninfer\n" in out
