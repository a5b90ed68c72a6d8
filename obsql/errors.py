"""One error shape for everything a person can get wrong: a query, a path, a name, a file.

Errors are data (kind, message, line, column, suggestion, the text they point into). The command line, the REPL and
the notebook each render them their own way; `render_text` is the plain-text form the first two share.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, get_args

# What went wrong, for whoever renders or counts errors: the text of a query (syntax), a name that does not exist
# (name), the store or a file in it (store), a value or a combination that cannot work (input), SQL that DuckDB
# refused (sql), or a bug of obsql's own (internal).
ErrorKind = Literal["syntax", "name", "store", "input", "sql", "internal"]
KINDS: tuple[str, ...] = get_args(ErrorKind)


@dataclass
class ObsqlError(Exception):
    """A problem a person can fix, with where it is and what to try instead."""

    kind: ErrorKind
    message: str
    line: int | None = None
    column: int | None = None
    suggestion: str | None = None
    source: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"an obsql error is one of {', '.join(KINDS)}, not {self.kind!r}")
        super().__init__(self.message)

    def __str__(self) -> str:
        return render_text(self)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows when `obsql.query(...)` raises in a notebook: the message with its caret and hint, not a
        traceback through obsql's frames (IPython asks an exception for this before formatting one)."""
        return render_text(self).splitlines()

    def with_source(self, source: str) -> "ObsqlError":
        """The same error, pointing into `source` (set by whoever knows the text)."""
        if self.source is None:
            self.source = source
        return self


class StoreError(ObsqlError, OSError):
    """The store cannot be opened or a file in it cannot be read."""

    def __init__(self, message: str, suggestion: str | None = None, *, line: int | None = None,
                 column: int | None = None) -> None:
        ObsqlError.__init__(self, "store", message, line, column, suggestion)


class UnknownName(ObsqlError, ValueError):
    """A name (variable, component, metric, column) that does not exist."""

    def __init__(self, message: str, suggestion: str | None = None, *, line: int | None = None,
                 column: int | None = None) -> None:
        ObsqlError.__init__(self, "name", message, line, column, suggestion)


def position(node: Any) -> dict[str, int | None]:
    """The `line` and `column` arguments of an error about `node` (anything with a line and column; 0 is unknown)."""
    return {"line": getattr(node, "line", None) or None, "column": getattr(node, "column", None) or None}


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `word`, if any is close enough to be a likely typo."""
    by_lower = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' sentence for a near miss, or None."""
    best = nearest(word, candidates)
    return f"did you mean '{best}'?" if best else None


def render_text(err: ObsqlError) -> str:
    """The error as a person reads it in a terminal: where, the line with a caret, and a suggestion."""
    column = f", column {err.column}" if err.column is not None else ""  # a line of a file, not of a query
    where = f"line {err.line}{column}: " if err.line is not None else ""
    parts = [f"error ({err.kind}): {where}{err.message}"]
    if err.source is not None and err.line is not None:
        lines = err.source.splitlines() or [""]
        if 1 <= err.line <= len(lines):
            text = lines[err.line - 1]
            parts.append(f"  {text}")
            parts.append("  " + " " * max((err.column or 1) - 1, 0) + "^")
    if err.suggestion:
        parts.append(f"hint: {err.suggestion}")
    return "\n".join(parts)
