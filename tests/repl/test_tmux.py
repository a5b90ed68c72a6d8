"""The shell in a real terminal: tmux runs `obsql`, send-keys types, capture-pane reads the screen."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from tests.repl.conftest import WAIT_SECONDS

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
LONG_QUERY = "sql select sum(a.range * b.range) from range(100000) a, range(1000000) b"


class Terminal:
    """One tmux window on a private server, running a command."""

    def __init__(self, command: str) -> None:
        self.server = ["tmux", "-L", f"obsql-test-{os.getpid()}"]
        self._tmux("new-session", "-d", "-s", "repl", "-x", "160", "-y", "50",
                   f'{command}; echo "exit status $?"; sleep {2 * WAIT_SECONDS}')  # the screen outlives any wait

    def _tmux(self, *args: str) -> str:
        return subprocess.run([*self.server, *args], check=True, capture_output=True, text=True).stdout

    def type(self, text: str) -> None:
        """Type text as is (a `;` goes as a key code: tmux would read a trailing one as a command separator)."""
        for i, part in enumerate(text.split(";")):
            if i:
                self._tmux("send-keys", "-t", "repl", "-H", "3b")
            if part:
                self._tmux("send-keys", "-t", "repl", "-l", part)

    def press(self, key: str) -> None:
        self._tmux("send-keys", "-t", "repl", key)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "repl")

    def wait_for(self, text: str) -> str:
        """The screen, once `text` shows on it."""
        assert self.shows(text, WAIT_SECONDS), f"{text!r} never showed:\n{self.screen()}"
        return self.screen()

    def shows(self, text: str, seconds: float) -> bool:
        """Whether `text` shows on the screen within `seconds`."""
        deadline = time.monotonic() + seconds
        while text not in self.screen():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        subprocess.run([*self.server, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(store_path, config_home):
    command = shlex.join(["env", f"XDG_CONFIG_HOME={config_home}", "PAGER=", sys.executable, "-m", "obsql",
                          "--store", str(store_path)])
    opened = Terminal(command)
    yield opened
    opened.close()


def test_the_shell_in_a_terminal(terminal):
    terminal.wait_for("obsql:store>")
    terminal.type("runs of cl")
    for _ in range(WAIT_SECONDS // 5):  # Tab finds nothing until the names have loaded in the background
        terminal.press("Tab")
        if terminal.shows("runs of clean", seconds=5):
            break
    terminal.type(" | select component;")
    terminal.press("Enter")
    assert "component\n---------\nclean\n(1 row)" in terminal.wait_for("(1 row)")

    terminal.type("recent 2")
    terminal.press("Enter")
    terminal.type("| select component;")
    terminal.press("Enter")
    assert "...> | select component;\ncomponent\n---------\ninfer\nvalidate\n(2 rows)" in terminal.wait_for("(2 rows)")

    terminal.type("runs of clean wher;")
    terminal.press("Enter")
    assert "  runs of clean wher;\n                ^" in terminal.wait_for("error (syntax)")

    terminal.type(".mode csv")
    terminal.press("Enter")
    terminal.type("runs of train | select component;")
    terminal.press("Enter")
    screen = terminal.wait_for("component\ntrain\ntrain\n")
    assert "mode csv\n" in screen and "runs of train | select component;\ncomponent\ntrain\ntrain\n" in screen

    terminal.type(LONG_QUERY + ";")
    terminal.press("Enter")
    terminal.wait_for(LONG_QUERY + ";\n")
    terminal.press("C-c")
    terminal.wait_for("error (input): query cancelled")
    terminal.type("recent 1 | select component;")
    terminal.press("Enter")
    terminal.wait_for("recent 1 | select component;\ncomponent\ninfer\n")

    terminal.type(".exit")
    terminal.press("Enter")
    assert "Traceback" not in terminal.wait_for("exit status 0")
