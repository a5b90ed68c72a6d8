"""A Pygments lexer for OQL, so the shell, docs and notebooks colour queries the same way.

Keywords and time units come from the grammar (`obsql.grammar.KEYWORDS`, `TIME_UNITS`), so a new keyword is
highlighted without touching this file. The text of a `sql` statement is handed to Pygments' SQL lexer, and a dot
command of the shell (`.mode csv`) is shown as one. Use it as any Pygments lexer:
`pygments.highlight(text, OqlLexer(), formatter)`.
"""
from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, using, words
from pygments.lexers.sql import SqlLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from obsql.grammar import KEYWORDS, TIME_UNITS

_UNITS = tuple(unit + "s" for unit in TIME_UNITS) + TIME_UNITS


class OqlLexer(RegexLexer):
    """OQL, obsql's query language (docs/oql.md)."""

    name = "OQL"
    aliases = ["oql", "obsql"]
    filenames = ["*.oql"]
    mimetypes = ["text/x-oql"]
    flags = re.IGNORECASE | re.MULTILINE

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r"^\.[a-z]+[^\n;]*", Keyword.Pseudo),  # a dot command of the shell
            (r"(sql\b)(\s+)((?:'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[^;#'\"])*)",
             bygroups(Keyword, Whitespace, using(SqlLexer))),
            (r"'(?:[^']|'')*'?", String.Single),
            (r'"(?:[^"]|"")*"?', Name.Variable),
            (r"@[A-Za-z0-9:.+\-]+", Number.Other),  # a time: @2020-03-15T10:00
            (r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?", Number),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(_UNITS, suffix=r"\b"), Keyword.Type),
            (r"[A-Za-z_][A-Za-z0-9_]*(?=\s*\()", Name.Function),
            (r"[A-Za-z_][A-Za-z0-9_.\-]*", Name),
            (r"<=|>=|<>|!=|[=<>+\-*/]", Operator),
            (r"[|;,()]", Punctuation),
            (r".", Text),
        ],
    }
