"""The Enter rule: whether Enter runs what was typed or starts a new line, as one pure function."""
from __future__ import annotations

from obsql.grammar.language import language

LEAVE_WORDS = ("exit", "quit")


def runs_on_enter(text: str) -> bool:
    """True when Enter should run `text`: it is blank, a one-line dot command, `exit` or `quit`, or it ends with a
    `;` that is outside quotes and comments. Otherwise Enter inserts a newline, so statements can span lines."""
    stripped = text.strip()
    if not stripped or stripped.lower() in LEAVE_WORDS:
        return True
    if stripped.startswith("."):
        return "\n" not in stripped
    return _ends_with_semicolon(text)


def _ends_with_semicolon(text: str) -> bool:
    """Whether the last token that is neither space nor comment is a `;` (one inside quotes is part of them)."""
    oql = language()
    significant = [token for token in oql.scan(text) if token.type not in oql.ignored]
    return bool(significant) and significant[-1].type == "_SEMI"
