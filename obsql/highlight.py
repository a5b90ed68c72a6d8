"""A Pygments lexer for OQL, so the shell, docs and notebooks colour queries the same way.

It colours the tokens of the grammar's own scan (`obsql.grammar.language`), so a new keyword is highlighted without
touching this file. The text of a `sql` statement is handed to Pygments' SQL lexer, and a dot command of the shell
(`.mode csv`) is shown as one. Use it as any Pygments lexer: `pygments.highlight(text, OqlLexer(), formatter)`.
"""
from __future__ import annotations

import re
from typing import Iterator

from lark import Token
from pygments.lexer import Lexer
from pygments.lexers.sql import SqlLexer
from pygments.token import (
    Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace, _TokenType,
)

from obsql.grammar.language import RAW_TERMINAL, UNCLOSED, UNIT_TERMINAL, language

# The Pygments token type of each kind of token the scan gives, keywords aside (they are Keyword).
TOKEN_TYPES = {
    UNIT_TERMINAL: Keyword.Type,
    "STRING": String.Single,
    UNCLOSED: String.Single,
    "QUOTED_NAME": Name.Variable,
    "DATETIME": Number.Other,
    "NUMBER": Number,
    "COMMENT": Comment.Single,
    "WS": Whitespace,
    "NAME": Name,
    "COMPONENT": Name,
    "COMP_OP": Operator,
    "PLUS": Operator,
    "MINUS": Operator,
    "STAR": Operator,
    "SLASH": Operator,
    "_LPAR": Punctuation,
    "_RPAR": Punctuation,
    "_COMMA": Punctuation,
    "_VBAR": Punctuation,
    "_SEMI": Punctuation,
}
DOT_COMMAND = re.compile(r"^\.[a-z]+[^\n;]*", re.IGNORECASE | re.MULTILINE)  # the shell's, not OQL's
_SQL = SqlLexer()


class OqlLexer(Lexer):
    """OQL, obsql's query language (docs/oql.md)."""

    name = "OQL"
    aliases = ["oql", "obsql"]
    filenames = ["*.oql"]
    mimetypes = ["text/x-oql"]

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        """(offset, token type, text) for each token: dot commands whole, the OQL between them as the scan reads it."""
        start = 0
        for command in DOT_COMMAND.finditer(text):
            yield from _oql_tokens(text[start:command.start()], start)
            yield command.start(), Keyword.Pseudo, command.group()
            start = command.end()
        yield from _oql_tokens(text[start:], start)


def _oql_tokens(text: str, offset: int) -> Iterator[tuple[int, _TokenType, str]]:
    tokens = language().scan(text)
    for index, token in enumerate(tokens):
        if token.type == RAW_TERMINAL:
            for start, kind, value in _SQL.get_tokens_unprocessed(str(token)):
                yield offset + token.start_pos + start, kind, value
        else:
            yield offset + token.start_pos, _token_type(token, tokens[index + 1:index + 3]), str(token)


def _token_type(token: Token, following: list[Token]) -> _TokenType:
    """The Pygments type of a token; a name is a function's when a `(` follows it, maybe after a space."""
    if token.type in language().keyword_of:
        return Keyword
    kind = TOKEN_TYPES.get(token.type, Text)
    calls = [t.type for t in following if t.type != "WS"][:1] == ["_LPAR"]
    return Name.Function if kind is Name and calls else kind
