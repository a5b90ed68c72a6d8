"""What the shell does with a line once Enter runs it: a dot command, `exit`, or OQL statements run one by one.

The shell keeps what lasts between lines: the engine over the open store, the settings the dot commands change,
where results go (the screen or an `.output` file), and the store's names for completion. Results and messages are
text written to streams, so tests can hand it any. Every problem is shown as `render_text` shows an ObsqlError.
"""
from __future__ import annotations

import functools
import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

from obsql.result import Result
from obsql.engine.session import Engine, ReaderFactory
from obsql.errors import ObsqlError, render_text
from obsql.grammar import ast, parse
from obsql.repl import commands, pager
from obsql.repl.cancel import run_cancellable
from obsql.render.colour import colour_error, colour_result, wanted
from obsql.render.sql_layout import layout_explained
from obsql.render.text import terminal_width
from obsql.repl.display import result_text
from obsql.repl.enter import LEAVE_WORDS, asks_help
from obsql.repl.names import StoreNames
from obsql.repl.settings import Settings
from obsql.storage.reader import StoreReader

WRITES = (ast.Flag, ast.Unflag, ast.Tag, ast.Note)  # statements after which completion reads the store's names again


class Shell:
    """The state of one interactive session and the handling of each line typed into it."""

    def __init__(self, engine: Engine, settings: Settings, out: TextIO | None = None,
                 err: TextIO | None = None, reader_factory: ReaderFactory = StoreReader) -> None:
        self.engine = engine
        self.reader_factory = reader_factory  # the engine's readers (DuckDB's or Spark's), for `.store`
        self.settings = settings
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.names = StoreNames(engine.store.root)
        self.done = False
        self._file: TextIO | None = None  # set by `.output FILE`

    @property
    def store_name(self) -> str:
        return self.engine.store.root.name

    @property
    def prompt(self) -> str:
        """What the shell prompts with (and prints before a statement `.read` echoes)."""
        return f"obsql:{self.store_name}> "

    # -- lines ----------------------------------------------------------------------------------------------------
    def handle(self, text: str) -> None:
        """Run one line (or several, for a multi-line statement) as typed."""
        stripped = text.strip()
        try:
            if stripped.rstrip(";").strip().lower() in LEAVE_WORDS:
                self.done = True
            elif asks_help(stripped):  # `help trace;` as psql takes it
                commands.find(".help").run(self, stripped.partition(" ")[2].rstrip(" ;"))
            elif stripped.startswith("."):
                name, _, argument = stripped.partition(" ")
                commands.find(name).run(self, argument)
            elif stripped:
                self.run_oql(text)
        except ObsqlError as err:
            self.report(err)
        except KeyboardInterrupt:
            self.say("cancelled")
        except Exception as exc:  # a bug of ours: say what it was and keep the session
            self.report(ObsqlError("internal", f"{type(exc).__name__}: {exc}",
                                   suggestion="please report this with the statement that caused it"))

    def run_oql(self, text: str, echo: bool = False) -> None:
        """Run each statement of `text` in turn, showing each result (after the statement itself with `echo`, as
        `.read` does: a file's results then say what they answer); stop at the first error (raised)."""
        script = parse(text)
        for statement, statement_text in zip(script.statements, script.texts):
            if echo:
                self.show(f"{self.prompt}{statement_text};")
            started = time.perf_counter()
            run = functools.partial(self.engine.run_statement, statement, statement_text, source=text)
            result = run_cancellable(run, self.engine.interrupt)
            self.show_result(result, time.perf_counter() - started)
            if isinstance(statement, WRITES):
                self.names.refresh()

    def show_result(self, result: Result, seconds: float) -> None:
        """The result in the current mode, with its SQL before it (`.explain on`) and its time after (`.timer on`)."""
        if self.settings.explain and result.sql:
            self.show(layout_explained(result.sql))
        text = result_text(result, self.settings.mode, self._screen_width(), self.settings.expanded)
        self.show(colour_result(text, result.drawn_as, self.settings.mode) if self._file is None and wanted(self.out)
                  else text)
        for note in result.notes:
            self.say(f"note: {note}")
        if self.settings.timer:
            self.say(f"time: {seconds:.3f} s")

    # -- output ---------------------------------------------------------------------------------------------------
    def _screen_width(self) -> int | None:
        """The terminal's width when results go to it (tables are fitted to it), else None: every column."""
        return terminal_width(self.out) if self._file is None else None

    def show(self, text: str) -> None:
        """Write a result: to the `.output` file if one is set, else to the screen, paged when it is taller than the screen."""
        if self._file is not None:
            self._file.write(text + "\n")
            self._file.flush()
            return
        command = pager.pager_command() if self.settings.pager and self.out.isatty() else None
        if command and not pager.fits(text, shutil.get_terminal_size().lines) and pager.page(text, command):
            return
        self.say(text)

    def say(self, text: str) -> None:
        """Write a message to the screen (never to an `.output` file)."""
        self.out.write(text + "\n")
        self.out.flush()

    def report(self, err: ObsqlError) -> None:
        text = render_text(err)
        self.err.write((colour_error(text) if wanted(self.err) else text) + "\n")
        self.err.flush()

    # -- what the dot commands change -----------------------------------------------------------------------------
    def redirect(self, path: Path | None) -> None:
        """Send results to the file at `path` (emptied first), or back to the screen when `path` is None."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if path is None:
            return
        try:
            self._file = open(path, "w", encoding="utf-8")
        except OSError as exc:
            raise ObsqlError("input", f"cannot write {path}: {exc.strerror or exc}") from None
        self.say(f"results go to {path} (.output alone sends them back to the screen)")

    def open_store(self, path: Path) -> None:
        """Ask the store at `path` from now on."""
        as_of = self.engine.as_of
        self.engine = Engine.open(path, self.engine.timeout, self.engine.memory_limit, self.reader_factory)
        self.engine.as_of = as_of
        self.names.use_store(self.engine.store.root)
        self.say(f"store {self.engine.store.root}")

    def close(self) -> None:
        self.redirect(None)
        self.names.close()
