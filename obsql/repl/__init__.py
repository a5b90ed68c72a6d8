"""repl: the interactive shell that `obsql` opens when it gets no query and no command.

It feels like the DuckDB CLI and pgcli: type OQL, end a statement with `;` and press Enter; an unfinished statement
takes another line. Queries are highlighted as you type (the Pygments lexer of `obsql.highlight`), Tab completes by
context (keywords; components after `of`, `history`, `compare`, `with`; metrics after `metric`; columns after
`where`; pointers inside the quotes after `trace`, `inspect`, `flag`), Ctrl-C cancels a running query and keeps
the shell, errors show their caret and never a traceback. Results print as tables, traces as trees, inspect as
cards and history as a table with a sparkline per metric; long ones go through `$PAGER`.

One file per concern:

- `app.py`: `main(store_path) -> int`, the session from start to end;
- `prompt.py`: the prompt-toolkit session (lexer, completer, history, key bindings, style);
- `enter.py`: the Enter rule, one pure function: run the text, or start a new line;
- `completion.py`: the context at the cursor (a pure function) and the completer that fills it;
- `names.py`: the store's component, metric and pointer names, read in a background thread;
- `commands.py`: the dot commands (`.help`, `.mode`, `.timer`, `.timeout`, `.read`, `.output`, `.store`, `.explain`,
  `.tables`, `.schema`, `.pager`, `.exit`), one registry for running, `.help` and completion;
- `shell.py`: what happens to a line once Enter runs it, and the state kept between lines;
- `display.py`, `sparkline.py`, `pager.py`: how results reach the screen;
- `cancel.py`: running a statement so that Ctrl-C interrupts the engine's query (DuckDB's or Spark's);
- `settings.py`: the config file and the history file in `$XDG_CONFIG_HOME/obsql` (or `~/.config/obsql`).

docs/repl.md is the user's guide.
"""
from obsql.repl.app import main

__all__ = ["main"]
