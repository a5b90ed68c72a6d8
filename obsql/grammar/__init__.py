"""OQL's grammar and parser: text in, a small syntax tree out.

OQL is obsql's query language over the store of pipeline runs (docs/oql.md is its reference). This folder holds:

- `oql.lark`: the grammar, the spec of the language (Lark, LALR, contextual lexer, case-insensitive keywords), and
  the one description of its words;
- `language.py`: the parser built from it once (its tables cached on disk, so a fresh process parses its first query
  quickly), the words read from its terminals (keywords, statement keywords, time units) and `scan`, a tokenizer
  that never fails, for the shell's highlighting, completion and Enter rule;
- `ast.py`: the syntax tree, small dataclasses with the line and column where each node starts; it is the contract
  with `obsql.compiler`, which turns each node kind into SQL;
- `parser.py`: `parse(text) -> Script`, which turns Lark's tree into AST nodes; `next_keywords(text)` asks the same
  parser which keywords may come next (the shell's completion);
- `syntax_errors.py`: Lark's errors in plain words (a clause out of place gets its statement's form as a hint);
- `reference.py` and `oql.md`: the language reference (a link to docs/oql.md, shipped with the package) read by
  statement, for the shell's `.help trace` and those hints.

Every problem in the text surfaces as `obsql.errors.ObsqlError` with kind "syntax": a message in plain words naming
what was found and what would fit, the line and column, and a suggestion for near misses ("did you mean 'history'?").
`KEYWORDS` and `TIME_UNITS` are the language's words, read from the grammar when first asked for.
"""
from obsql.grammar.language import word_list
from obsql.grammar.parser import parse

__all__ = ["KEYWORDS", "TIME_UNITS", "parse"]


def __getattr__(name: str) -> tuple[str, ...]:
    """KEYWORDS and TIME_UNITS (and STATEMENT_KEYWORDS): the language's words, read from the grammar when asked for."""
    return word_list(__name__, name)
