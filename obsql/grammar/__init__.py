"""OQL's grammar and parser: text in, a small syntax tree out.

OQL is obsql's query language over the store of pipeline runs (docs/oql.md is its reference). This folder holds:

- `oql.lark`: the grammar, the spec of the language (Lark, LALR, contextual lexer, case-insensitive keywords);
- `ast.py`: the syntax tree, small dataclasses with the line and column where each node starts; it is the contract
  with `obsql.compiler`, which turns each node kind into SQL;
- `parser.py`: `parse(text) -> Script`, which builds the Lark parser once (its tables cached on disk, so a fresh
  process parses its first query quickly) and turns Lark's tree into AST nodes; `next_keywords(text)` asks the same
  parser which keywords may come next (the shell's completion).

Every problem in the text surfaces as `obsql.errors.ObsqlError` with kind "syntax": a message in plain words naming
what was found and what would fit, the line and column, and a suggestion for near misses ("did you mean 'history'?").
`KEYWORDS` and `TIME_UNITS` are the language's words, for completion and highlighting in the REPL.
"""
from obsql.grammar.parser import KEYWORDS, TIME_UNITS, parse

__all__ = ["KEYWORDS", "TIME_UNITS", "parse"]
