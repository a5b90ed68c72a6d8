"""The Enter rule: whether Enter runs what was typed or starts a new line, as one pure function."""
from __future__ import annotations

from obsql.grammar.language import language

LEAVE_WORDS = ("exit", "quit")


def runs_on_enter(text: str) -> bool:
    """True when Enter should run `text`: it is blank, a one-line dot command (or `help ...`), `exit` or `quit`, or
    it ends with a `;` that is outside quotes and comments. Otherwise Enter inserts a newline, so statements can span
    lines."""
    stripped = text.strip()
    if not stripped or stripped.lower() in LEAVE_WORDS:
        return True
    if stripped.startswith(".") or asks_help(stripped):
        return "\n" not in stripped
    return _ends_with_semicolon(text)


def open_quote(text: str) -> str:
    """The quote (`'` or `"`) left open at the end of `text`, or "" when none is: the continuation prompt shows it,
    as psql's `'>` does, so a forgotten closing quote is seen before Enter seems to do nothing. A `#` comment runs
    to the end of its line; a doubled quote inside quotes closes and reopens, which leaves the state as it was."""
    quote = ""
    in_comment = False
    for char in text:
        if in_comment:
            in_comment = char != "\n"
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        else:
            in_comment = char == "#"
    return quote


def asks_help(line: str) -> bool:
    """`help` or `help trace` typed without the dot, as psql and pgcli take it (no OQL statement starts so)."""
    return line.split(" ", 1)[0].lower().rstrip(";") == "help"


def _ends_with_semicolon(text: str) -> bool:
    """Whether the last token that is neither space nor comment is a `;` (one inside quotes is part of them)."""
    oql = language()
    significant = [token for token in oql.scan(text) if token.type not in oql.ignored]
    return bool(significant) and significant[-1].type == "_SEMI"
