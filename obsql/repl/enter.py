"""The Enter rule: whether Enter runs what was typed or starts a new line, as one pure function."""
from __future__ import annotations

import re

# What a scan of the text must step over as a whole: quoted text (maybe unclosed), comments, anything else one
# character at a time.
_TOKENS = re.compile(r"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|#[^\n]*|\S")
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
    significant = [token for token in _TOKENS.findall(text) if not token.startswith("#")]
    return bool(significant) and significant[-1] == ";"
