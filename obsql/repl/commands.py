"""The dot commands: one registry that runs them, lists them in `.help` and feeds their completion.

Each command is a small function taking the shell and the text after its name. A wrong argument raises an
ObsqlError like a wrong query does, and the shell shows it the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from time import sleep
from typing import TYPE_CHECKING, Callable

from obsql.errors import ObsqlError, did_you_mean
from obsql.grammar import STATEMENT_KEYWORDS
from obsql.grammar.reference import statement_help
from obsql.render.formats import FORMATS
from obsql.render.text import watch_header
from obsql.repl.display import EXPANDED
from obsql.storage.schemas import PARTITION_TYPES, TABLES

if TYPE_CHECKING:
    from obsql.repl.shell import Shell

ON_OFF = ("on", "off")
Handler = Callable[["Shell", str], None]  # runs a command: the shell, and the text after the command's name


@dataclass(frozen=True)
class Command:
    """A dot command: its name, how to call it, what it does, and what may follow it."""

    name: str
    usage: str
    help: str
    run: Handler
    choices: tuple[str, ...] = ()  # the words completion offers after the name
    takes_path: bool = False  # completion offers file names after the name


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, help: str, choices: tuple[str, ...] = (),
            takes_path: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated function as the dot command `name`."""
    def register(run: Handler) -> Handler:
        COMMANDS[name] = Command(name, usage, help, run, choices, takes_path)
        return run

    return register


def find(name: str) -> Command:
    """The command called `name`, or an error suggesting the nearest one."""
    if name in COMMANDS:
        return COMMANDS[name]
    raise ObsqlError("input", f"unknown command {name}",
                     suggestion=did_you_mean(name, COMMANDS) or "type .help to list the commands")


def argument_choices(name: str) -> tuple[str, ...]:
    """What completion offers after the command `name` (the command names and statement keywords after `.help`)."""
    if name == ".help":
        return (*COMMANDS, *STATEMENT_KEYWORDS)
    return COMMANDS[name].choices if name in COMMANDS else ()


def _choice(argument: str, choices: tuple[str, ...], usage: str) -> str:
    word = argument.strip().lower()
    if word not in choices:
        shown = f"'{argument.strip()}'" if argument.strip() else "nothing"
        raise ObsqlError("input", f"expected {' or '.join(choices)} but found {shown}",
                         suggestion=did_you_mean(word, choices) if word else f"usage: {usage}")
    return word


def _switch(name: str, help: str) -> None:
    """A command that turns the setting `name` on or off."""
    usage = f".{name} on|off"

    def run(shell: "Shell", argument: str) -> None:
        setattr(shell.settings, name, _choice(argument, ON_OFF, usage) == "on")
        shell.say(f"{name} {'on' if getattr(shell.settings, name) else 'off'}")

    command(f".{name}", usage, help, ON_OFF)(run)


def _required_path(argument: str, usage: str) -> Path:
    if not argument.strip():
        raise ObsqlError("input", "this command needs a path", suggestion=f"usage: {usage}")
    return Path(argument.strip()).expanduser()


@command(".help", ".help [command | statement]", "list the commands, or tell about one command or OQL statement")
def show_help(shell: "Shell", argument: str) -> None:
    asked = argument.strip()
    if asked:
        shell.say(_help_about(asked))
        return
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = [f"{c.usage.ljust(width)}  {c.help}" for c in COMMANDS.values()]
    lines += ["", "OQL statements end with ; (Enter on an unfinished one starts a new line; Alt-Enter runs it anyway).",
              "Tab completes keywords, components, metrics, columns and quoted pointers.",
              f"Statements: {', '.join(STATEMENT_KEYWORDS)}; .help <statement> shows its form and examples "
              "(docs/oql.md has the whole language)."]
    shell.say("\n".join(lines))


def _help_about(asked: str) -> str:
    """A statement's forms, examples and summary, from the language reference, or a command's usage and help."""
    sections = statement_help(asked.lstrip("."))
    if sections:
        return "\n\n".join(section.text() for section in sections)
    name = asked if asked.startswith(".") else "." + asked
    if name in COMMANDS:
        return f"{COMMANDS[name].usage}\n  {COMMANDS[name].help}"
    raise ObsqlError("input", f"no command or statement called {asked}",
                     suggestion=did_you_mean(asked, [*STATEMENT_KEYWORDS, *COMMANDS]) or "type .help to list them")


@command(".mode", f".mode {'|'.join(FORMATS)}", "how results print", FORMATS)
def set_mode(shell: "Shell", argument: str) -> None:
    shell.settings.mode = _choice(argument, FORMATS, COMMANDS[".mode"].usage)
    shell.say(f"mode {shell.settings.mode}")


@command(".x", ".x [on|off|auto]", "expanded rows (column = value lines): on, off, or auto for a few rows too wide "
                                   "for the screen; alone, switch on and off", EXPANDED)
def set_expanded(shell: "Shell", argument: str) -> None:
    if argument.strip():
        shell.settings.expanded = _choice(argument, EXPANDED, COMMANDS[".x"].usage)
    else:
        shell.settings.expanded = "off" if shell.settings.expanded == "on" else "on"
    shell.say(f"expanded {shell.settings.expanded}")


_switch("timer", "print how long each statement took")
_switch("explain", "print the SQL each statement compiled to before its result")
_switch("pager", "show results taller than the screen through $PAGER")


@command(".timeout", ".timeout [SECONDS]", "cancel statements that run longer; 0 for never; alone, show it")
def set_timeout(shell: "Shell", argument: str) -> None:
    if argument.strip():
        try:
            seconds = float(argument)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds < float("inf"):
            raise ObsqlError("input", f"expected a number of seconds but found '{argument.strip()}'",
                             suggestion=f"usage: {COMMANDS['.timeout'].usage}")
        shell.engine.timeout = seconds
    shell.say(f"timeout {shell.engine.timeout:g} s" if shell.engine.timeout else "timeout off")


@command(".watch", ".watch SECONDS STATEMENT", "run a statement again every SECONDS seconds until Ctrl-C "
                                               "(psql's \\watch)")
def watch(shell: "Shell", argument: str) -> None:
    seconds, statement = watch_arguments(argument, COMMANDS[".watch"].usage)
    try:
        while True:
            shell.say(watch_header(seconds))
            shell.run_oql(statement)
            sleep(seconds)
    except KeyboardInterrupt:
        shell.say("watch stopped")


def watch_arguments(argument: str, usage: str) -> tuple[float, str]:
    """The interval and the statement of `.watch 5 alerts`."""
    first, _, statement = argument.strip().partition(" ")
    try:
        seconds = float(first)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf") or not statement.strip():
        raise ObsqlError("input", "expected a number of seconds above 0, then a statement", suggestion=f"usage: {usage}")
    return seconds, statement


@command(".read", ".read FILE", "run the statements in an OQL file, each shown before its result", takes_path=True)
def read_file(shell: "Shell", argument: str) -> None:
    path = _required_path(argument, COMMANDS[".read"].usage)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ObsqlError("input", f"cannot read {path}: {exc.strerror or exc}") from None
    shell.run_oql(text, echo=True)


@command(".output", ".output [FILE]", "write results to FILE; with no FILE, back to the screen", takes_path=True)
def set_output(shell: "Shell", argument: str) -> None:
    shell.redirect(Path(argument.strip()).expanduser() if argument.strip() else None)


@command(".store", ".store PATH", "open another store", takes_path=True)
def open_store(shell: "Shell", argument: str) -> None:
    shell.open_store(_required_path(argument, COMMANDS[".store"].usage))


@command(".tables", ".tables", "list the store's tables")
def list_tables(shell: "Shell", argument: str) -> None:
    shell.say("  ".join(TABLES))


@command(".schema", ".schema [table]", "the columns of every table, or of one", tuple(TABLES))
def show_schema(shell: "Shell", argument: str) -> None:
    name = argument.strip()
    if name and name not in TABLES:
        raise ObsqlError("input", f"no table '{name}'", suggestion=did_you_mean(name, TABLES))
    blocks = []
    for spec in [TABLES[name]] if name else TABLES.values():
        columns = [(column, kind) for column, kind in spec.fields]
        columns += [(column, f"{PARTITION_TYPES[column]}  (partition)") for column in spec.partition_by]
        width = max(len(column) for column, _ in columns)
        blocks.append("\n".join([spec.name] + [f"  {column.ljust(width)}  {kind}" for column, kind in columns]))
    shell.say("\n\n".join(blocks))


@command(".exit", ".exit", "leave the shell (also exit, quit or Ctrl-D)")
def leave(shell: "Shell", argument: str) -> None:
    shell.done = True
