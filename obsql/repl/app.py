"""The session from start to end: open the store, read the settings, then prompt and handle lines until asked to
leave (`.exit`, `exit`, `quit`, Ctrl-D). Ctrl-C at the prompt clears the line; during a statement it cancels it."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession

from obsql import __version__
from obsql.engine.session import DEFAULT_TIMEOUT, Engine
from obsql.errors import ObsqlError, render_text
from obsql.repl.prompt import build_session
from obsql.repl.settings import Settings, config_dir, load_settings, open_history
from obsql.repl.shell import Shell
from obsql.spark.selection import reader_factory
from obsql.storage.reader import DEFAULT_MEMORY_LIMIT

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EXIT_OK, EXIT_BAD_STORE = 0, 2


def main(store_path: str | Path, timeout: float = DEFAULT_TIMEOUT, memory_limit: str = DEFAULT_MEMORY_LIMIT, *,
         as_of: datetime | None = None, quiet: bool = False, engine: str | None = None,
         spark: "SparkSession | str | None" = None) -> int:
    """Open the shell on the store at `store_path`; 0 when the user leaves, 2 when the store cannot be opened.
    `as_of` is what `now` means for relative times; `quiet` leaves the banner out; `engine` and `spark` choose the
    engine as `obsql --engine` and `--spark-master` do."""
    folder = config_dir()
    try:
        shell = open_shell(store_path, load_settings(folder, warn), timeout, memory_limit, as_of, engine, spark)
    except ObsqlError as err:
        print(render_text(err), file=sys.stderr)
        return EXIT_BAD_STORE
    return run(shell, build_session(shell, open_history(folder, warn)), banner=not quiet)


def open_shell(store_path: str | Path, settings: Settings, timeout: float = DEFAULT_TIMEOUT,
               memory_limit: str = DEFAULT_MEMORY_LIMIT, as_of: datetime | None = None, engine: str | None = None,
               spark: "SparkSession | str | None" = None) -> Shell:
    """A shell over the store at `store_path`, on DuckDB or Spark (`engine`, else `$OBSQL_ENGINE`); `.store`
    keeps the engine it was opened on."""
    factory = reader_factory(engine, spark)
    opened = Engine.open(store_path, timeout, memory_limit, factory)
    opened.as_of = as_of
    return Shell(opened, settings, reader_factory=factory)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def run(shell: Shell, session: PromptSession, banner: bool = True) -> int:
    """Prompt and handle lines until the user leaves; completion names load in the background meanwhile."""
    if banner:
        shell.say(f"obsql {__version__} on {shell.engine.store.root}\n"
                  "Statements end with ;   .help lists the commands   .exit or Ctrl-D leaves")
    shell.names.refresh()
    while not shell.done:
        try:
            text = session.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        shell.handle(text)
    shell.close()
    return EXIT_OK
