"""A small known store for the shell's tests (the OQL tests' store, logged once), a private config folder per test,
and a way to drive a whole shell session through prompt-toolkit's pipe input."""
from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from obsql.engine.session import Engine
from obsql.repl.app import run
from obsql.repl.prompt import build_session
from obsql.repl.settings import Settings
from obsql.repl.shell import Shell
from tests.oql.conftest import build

# How long a step may wait for the shell before the test gives up: minutes, for a loaded machine. Every wait polls
# for what it needs and goes on the moment it shows, so a working shell never comes near the bound.
WAIT_SECONDS = 300


@pytest.fixture(scope="session")
def store_path(tmp_path_factory) -> Path:
    store = build(tmp_path_factory.mktemp("repl") / "store")
    store.close()
    return store.path


@pytest.fixture
def engine(store_path) -> Engine:
    return Engine.open(store_path)


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """XDG_CONFIG_HOME in the test's folder, and no pager."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PAGER", "")
    return tmp_path / "config"


@pytest.fixture
def shell(engine) -> Shell:
    """A shell writing results and errors to one string buffer (`shell.out.getvalue()`)."""
    out = io.StringIO()
    opened = Shell(engine, Settings(), out=out, err=out)
    yield opened
    opened.close()


class Typist:
    """Types into a running shell's prompt from a second thread, waiting for the shell where a step needs it."""

    def __init__(self, pipe: PipeInput, shell: Shell, buffer: Buffer) -> None:
        self.pipe, self.shell, self.buffer = pipe, shell, buffer

    def type(self, text: str) -> None:
        self.pipe.send_text(text)

    def wait_for_names(self) -> None:
        assert self.shell.names.loaded.wait(WAIT_SECONDS), "the store's names never loaded"

    def wait_for_menu(self) -> None:
        """Until the completion menu shows (a Tab pressed while completions are still being found is dropped)."""
        self._wait(lambda: self.buffer.complete_state is not None, "no completion menu showed")

    def wait_for_buffer(self, text: str) -> None:
        self._wait(lambda: self.buffer.text == text, f"the prompt never showed {text!r}")

    def _wait(self, done: Callable[[], bool], failure: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done():
            assert time.monotonic() < deadline, f"{failure} (the prompt shows {self.buffer.text!r})"
            time.sleep(0.02)


def drive(shell: Shell, script: Callable[[Typist], None]) -> int:
    """Run the shell's whole session (as `obsql` does) while `script` types into it; the session's exit code."""
    failures: list[BaseException] = []
    with create_pipe_input() as pipe:
        session = build_session(shell, InMemoryHistory(), input=pipe, output=DummyOutput())
        typist = Typist(pipe, shell, session.default_buffer)

        def play() -> None:
            try:
                script(typist)
            except BaseException as exc:  # reported in the test's thread after the session ends
                failures.append(exc)
                pipe.send_text("\x03.exit\r")  # Ctrl-C clears the line, then leave

        player = threading.Thread(target=play)
        player.start()
        code = run(shell, session)
        player.join()
    if failures:
        raise failures[0]
    return code
