"""Notebook support: `%load_ext obsql` adds the `%oql` line magic and the `%%oql` cell magic.

Both run OQL on the connected store (`obsql.connect(path)`; the default store when none is) and return the last
statement's Result, which the notebook shows as HTML: a table, a trace tree, a card or a history chart
(`obsql.render.html`). An error is printed as text with its caret, never as a traceback.
"""
from __future__ import annotations

import sys
from typing import Any

from obsql.result import Result
from obsql.errors import ObsqlError, render_text


def load_ipython_extension(ipython: Any) -> None:
    """Register `%oql` and `%%oql` with the IPython shell (what `%load_ext obsql` calls)."""
    def magic(line: str, cell: str | None = None) -> Result | None:
        return oql(line, cell, getattr(ipython, "user_ns", None))

    ipython.register_magic_function(magic, magic_kind="line_cell", magic_name="oql")


def oql(line: str, cell: str | None = None, namespace: dict | None = None) -> Result | None:
    """`%oql <query>` runs the rest of the line; `%%oql` runs the cell, and `%%oql name` also keeps the result in
    the notebook's variable `name`. Returns the last statement's result."""
    from obsql.api import current

    name = line.strip() if cell is not None else ""
    if name and not name.isidentifier():
        print(f"error (input): %%oql takes a variable name to keep the result in, not {name!r}", file=sys.stderr)
        return None
    try:
        result = current().query(line if cell is None else cell)
    except ObsqlError as err:
        print(render_text(err), file=sys.stderr)
        return None
    if name and namespace is not None:
        namespace[name] = result
    return result
