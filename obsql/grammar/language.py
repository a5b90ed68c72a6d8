"""OQL's words, read from its grammar: the parser, the keywords, the time units and a scan of any text.

`oql.lark` is the one description of OQL's lexical facts. This module builds the LALR parser from it and derives
the rest from the parser's terminal definitions, so a keyword added to the grammar is parsed, named in error
messages, highlighted, completed and scanned without touching another file:

- the keywords, in the grammar's order (error messages list expected words in it): the words of the keyword
  terminals, those that outrank names (priority 2 or more) and read whole words (`/runs\\b/i`, and
  `/is\\s+(not\\s+)?empty\\b/i`, which reads is, not and empty);
- the statement keywords: the keywords the parser accepts at the start of a statement;
- the time units: the units the UNIT terminal reads, `/(second|minute|...)s?\\b/i`;
- `Language.scan`: every token of any text, for the shell's highlighting, completion and Enter rule.

`language()` is OQL as oql.lark describes it, built on first use; `Language.from_grammar` builds one from any
grammar text. Module attributes that serve the word lists (`KEYWORDS` ...) read them from `language()` when asked.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Iterable

from lark import Lark, Token
from lark.lexer import TerminalDef

GRAMMAR = Path(__file__).with_name("oql.lark")
KEYWORD_PRIORITY = 2
UNIT_TERMINAL = "UNIT"
NAME_TERMINALS = ("NAME", "COMPONENT")  # bare names; a scan reads any name as COMPONENT, the wider of the two
RAW_TERMINAL = "SQL_TEXT"  # the raw text of a `sql` statement, read only after the keyword that opens it
UNCLOSED = "UNCLOSED"  # the kind of a token the text ends inside (a quote never closed), up to the end
UNKNOWN = "UNKNOWN"  # the kind of a character no terminal reads

# A keyword terminal's regex: words, maybe with spaces and optional parts between them, ending a word.
_KEYWORD_REGEX = re.compile(r"(?:[A-Za-z]+|\\s\+|[()?])+\\b")
_WORD_IN_REGEX = re.compile(r"(?<!\\)[A-Za-z]+")
_UNIT_REGEX = re.compile(r"\(([a-z]+(?:\|[a-z]+)*)\)s\?\\b")
_WORD_LISTS = {"KEYWORDS": "keywords", "STATEMENT_KEYWORDS": "statement_keywords", "TIME_UNITS": "time_units"}


class Language:
    """OQL as one grammar text describes it: the parser, the words of its terminals and a scan of any text."""

    def __init__(self, parser: Lark) -> None:
        self.parser = parser
        words = {terminal.name: _keyword_words(terminal) for terminal in parser.terminals}
        # each keyword terminal's word, as completion and error messages name it: _RUNS -> runs, IS_EMPTY -> is
        self.keyword_of = {name: found[0] for name, found in words.items() if found}
        self.keywords = tuple(dict.fromkeys(word for found in words.values() for word in found))
        self.time_units = _time_units(parser.get_terminal(UNIT_TERMINAL))
        self.ignored = frozenset(parser.lexer_conf.ignore)

    @classmethod
    def from_grammar(cls, text: str) -> Language:
        """The language of a grammar text; Lark keeps the parse tables on disk, so a later process loads them fast."""
        return cls(Lark(text, parser="lalr", propagate_positions=True, maybe_placeholders=True, cache=True))

    @functools.cached_property
    def statement_terminals(self) -> tuple[str, ...]:
        """The keyword terminals a statement starts with (_RUNS, _HISTORY ...), in the grammar's order."""
        starting = self.accepted_after()
        return tuple(name for name in self.keyword_of if name in starting)

    @functools.cached_property
    def statement_keywords(self) -> tuple[str, ...]:
        """The words a statement starts with: runs, recent ..."""
        return tuple(self.keyword_of[name] for name in self.statement_terminals)

    def accepted_after(self, *kinds: str) -> set[str]:
        """The terminals the parser accepts after tokens of these kinds at the start of a text."""
        interactive = self.parser.parse_interactive("")
        for kind in kinds:
            interactive.feed_token(Token(kind, ""))
        return interactive.accepts()

    def scan(self, text: str, raw_text: bool = True) -> list[Token]:
        """Every token of `text`, whitespace and comments too, as the grammar's terminals read them, in the order
        Lark's lexer tries them (without the parser's context: `stale` is a keyword even where a name fits).

        It never fails: a quote never closed is one UNCLOSED token up to the end, a character no terminal reads is
        an UNKNOWN token. After the keyword that opens raw text (`sql`), it reads SQL_TEXT until the statement
        ends, unless `raw_text` is False: then SQL reads as OQL's tokens (completion looks for words in it).
        Tokens are Lark's: strings with the terminal's name as `type`, and `start_pos` and `end_pos`."""
        tokens: list[Token] = []
        position, raw = 0, False
        raw_goes_on = self.ignored | {RAW_TERMINAL}
        while position < len(text):
            token = self._token_at(text, position, self._raw_regex if raw else self._regex)
            tokens.append(token)
            opens = raw_text and token.type in self._raw_openers
            raw = opens or (raw and token.type in raw_goes_on)
            position = token.end_pos
        return tokens

    def _token_at(self, text: str, position: int, regex: re.Pattern[str]) -> Token:
        match = regex.match(text, position)
        # A doubled quote inside quoted text ('it''s) ends a match early when the text ends before the closing quote.
        maybe_cut = match is None or text.startswith(text[position], match.end())
        if maybe_cut and self._regex.fullmatch(text + text[position], position):
            return _token(UNCLOSED, text, position, len(text))
        if match is None:
            return _token(UNKNOWN, text, position, position + 1)
        return _token(str(match.lastgroup), text, position, match.end())

    @functools.cached_property
    def _terminals_in_order(self) -> list[TerminalDef]:
        """The terminals a scan reads outside raw text, in the order Lark's lexer tries them, one per regex: STRING,
        and not POINTER or RUN_ID, which the grammar defines as STRING (the first one defined names them all)."""
        first_of_regex: dict[str, TerminalDef] = {}
        for terminal in self.parser.terminals:
            if terminal.name != RAW_TERMINAL:
                first_of_regex.setdefault(terminal.pattern.to_regexp(), terminal)
        return sorted(first_of_regex.values(), key=_lark_order)

    @functools.cached_property
    def _regex(self) -> re.Pattern[str]:
        return _alternation(self._terminals_in_order)

    @functools.cached_property
    def _raw_regex(self) -> re.Pattern[str]:
        """Raw text first, then the rest: a comment, the `;` that ends the statement, `is empty` after SQL."""
        return _alternation([self.parser.get_terminal(RAW_TERMINAL), *self._terminals_in_order])

    @functools.cached_property
    def _raw_openers(self) -> frozenset[str]:
        """The statement keywords after which the parser reads raw text: _SQL."""
        return frozenset(name for name in self.statement_terminals if RAW_TERMINAL in self.accepted_after(name))


@functools.cache
def language() -> Language:
    """OQL as oql.lark describes it, built on first use."""
    return Language.from_grammar(GRAMMAR.read_text(encoding="utf-8"))


def word_list(module: str, name: str) -> tuple[str, ...]:
    """The attribute `name` of a module that serves the word lists (KEYWORDS, STATEMENT_KEYWORDS, TIME_UNITS) from
    its `__getattr__`: the words of `language()`, read when they are asked for."""
    if name not in _WORD_LISTS:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return getattr(language(), _WORD_LISTS[name])


def time_unit(word: str) -> str:
    """The time unit a UNIT token names, singular and lowercase: `Days` -> day."""
    return word.lower().removesuffix("s")


def _keyword_words(terminal: TerminalDef) -> list[str]:
    """The words a keyword terminal reads (runs; is, not, empty), or none for any other terminal."""
    regex = terminal.pattern.value
    if terminal.priority < KEYWORD_PRIORITY or not _KEYWORD_REGEX.fullmatch(regex):
        return []
    return [word.lower() for word in _WORD_IN_REGEX.findall(regex)]


def _time_units(terminal: TerminalDef) -> tuple[str, ...]:
    units = _UNIT_REGEX.fullmatch(terminal.pattern.value)
    if units is None:
        raise ValueError(f"{UNIT_TERMINAL} must read /(unit|unit...)s?\\b/, not /{terminal.pattern.value}/")
    return tuple(units.group(1).split("|"))


def _lark_order(terminal: TerminalDef) -> tuple[int, int, int, str]:
    """As Lark's lexer orders terminals: higher priority first, then the longer possible match, the longer regex."""
    return -terminal.priority, -terminal.pattern.max_width, -len(terminal.pattern.value), terminal.name


def _alternation(terminals: Iterable[TerminalDef]) -> re.Pattern[str]:
    """One regex trying the terminals in turn; the name of the group that matched is the token's kind."""
    return re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals))


def _token(kind: str, text: str, start: int, end: int) -> Token:
    return Token(kind, text[start:end], start_pos=start, end_pos=end)
