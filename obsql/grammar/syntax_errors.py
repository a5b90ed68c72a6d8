"""Lark's parse errors in plain words: what was found, what would have fit, where, and a suggestion for near misses.

A message never names a terminal of the grammar: keywords are named by their word (from the grammar, see
language.py), every other terminal by its words here, so a terminal added to the grammar needs words here too
(a test checks that every terminal has some).
"""
from __future__ import annotations

import re
from typing import Iterable

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from obsql.errors import ObsqlError, did_you_mean
from obsql.grammar.language import NAME_TERMINALS, RAW_TERMINAL, UNIT_TERMINAL, language, time_unit
from obsql.grammar.reference import statement_help

# The words a person reads for each terminal that is not a keyword. Operands are listed before keywords in an
# "expected ..." list (what must come next usually matters most), punctuation after them.
OPERAND_WORDS = {
    "POINTER": "a quoted pointer like 'pred-42'",
    "RUN_ID": "a quoted run id like '01J8ZQ'",
    "COMPONENT": "a component name",
    "QUOTED_COMPONENT": "a quoted component name",
    "SQL_TEXT": "SQL text",
    "NAME": "a name",
    "QUOTED_NAME": 'a "quoted" name',
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "DATETIME": "a time like @2020-03-15",
    "UNIT": "a time unit (second, minute, hour, day, week, month or year)",
}
PUNCTUATION_WORDS = {
    "IS_EMPTY": "is empty or is not empty",
    "COMP_OP": "a comparison (=, !=, <, <=, >, >=)",
    "PLUS": "+",
    "MINUS": "-",
    "STAR": "*",
    "SLASH": "/",
    "_LPAR": "(",
    "_RPAR": ")",
    "_COMMA": "a comma",
    "_VBAR": "|",
    "_SEMI": ";",
    "$END": "the end",
}

# Sets of terminals named by one phrase when all of a set's triggers are expected (a long list helps nobody); the
# statements' set, first of all, comes from the grammar (`_groups`).
GROUPS = (
    ({"COMPONENT"}, {"COMPONENT", "QUOTED_COMPONENT"}, "a component name"),
    ({"NAME", "NUMBER"},
     {"NAME", "QUOTED_NAME", "NUMBER", "STRING", "DATETIME", "_LPAR", "MINUS", "NOT", "_NULL", "_TRUE", "_FALSE",
      "_NOW"},
     "an expression"),
    ({"PLUS", "STAR"},
     {"COMP_OP", "PLUS", "MINUS", "STAR", "SLASH", "_AND", "_OR", "_IS", "_IN", "NOT", "LIKE", "ILIKE", "_BETWEEN"},
     "an operator"),
)
EMPTY_HINT = "`is empty` and `is not empty` end an expect statement (expect runs ... is empty); for values, is null"
QUOTED_TERMINALS = ("POINTER", "RUN_ID", "STRING", "QUOTED_COMPONENT")


def syntax_error(problem: UnexpectedInput, text: str) -> ObsqlError:
    """The ObsqlError (kind "syntax") for Lark's error about `text`."""
    if isinstance(problem, UnexpectedToken):
        error = _unexpected_token(problem, text)
    elif isinstance(problem, UnexpectedCharacters):
        error = _unexpected_character(problem)
    else:
        error = ObsqlError("syntax", "the query could not be read", problem.line, problem.column)
    return error.with_source(text)


def terminal_words(terminal: str) -> str | None:
    """What a message calls a terminal (or $END): its keyword, or its words here; None when it has none."""
    return _keyword(terminal) or OPERAND_WORDS.get(terminal) or PUNCTUATION_WORDS.get(terminal)


def _unexpected_token(problem: UnexpectedToken, text: str) -> ObsqlError:
    token, accepted = problem.token, _accepted(problem)
    expected = _expected(accepted)
    if token.type == "$END":
        previous = text[token.start_pos:token.end_pos] if token.end_pos else ""
        message = f"the query ends too early: expected {expected}{_after(previous)}"
        return ObsqlError("syntax", message, token.end_line or 1, token.end_column or 1)
    previous = _previous_text(problem)
    if token.type in NAME_TERMINALS:
        return _unknown_word(token, previous, accepted, expected)
    # Only the error report's fallback lexer reads SQL text outside `sql`; there it swallows the rest of the line.
    found = token[0] if token.type == RAW_TERMINAL else token
    message = f"expected {expected}{_after(previous)}, but found {_show(found)}"
    suggestion = EMPTY_HINT if token.type == "IS_EMPTY" else (did_you_mean(token, _keywords(accepted))
                                                               or _order_hint(token, text))
    return ObsqlError("syntax", message, token.line, token.column, suggestion)


TIME_RANGE_WORDS = ("since", "until", "between")


def _order_hint(token: Token, text: str) -> str | None:
    """For a clause out of its place (`runs since 1 day ago where ...`): the statement's form from the reference,
    which shows the order its clauses take."""
    word = _keyword(token.type)
    statement = _statement_keyword(text[:token.start_pos])
    if word is None or statement is None:
        return None
    looked_for = "<time range>" if word in TIME_RANGE_WORDS else word
    for section in statement_help(statement):
        for form in section.forms:
            names_it = re.search(rf"(?<![\w<]){re.escape(looked_for)}(?![\w>])", form)
            if form.split(" ", 1)[0] == statement and names_it:
                return f"clauses come in this order: {form}"
    return None


def _statement_keyword(before: str) -> str | None:
    """The keyword that opens the statement `before` ends in."""
    oql = language()
    tokens = [token for token in oql.scan(before) if token.type not in oql.ignored]
    starts = [at + 1 for at, token in enumerate(tokens) if token.type == "_SEMI"]
    rest = tokens[starts[-1] if starts else 0:]
    return rest[0].lower() if rest and rest[0].lower() in oql.statement_keywords else None


def _accepted(problem: UnexpectedInput) -> set[str]:
    """The terminals that would have fit. Lark's own set is the LALR state's, which merges contexts and so lists
    words that fit elsewhere (`with` after `runs of clean`); asking the parser which tokens it accepts is exact."""
    if getattr(problem, "interactive_parser", None) is not None:
        return problem.interactive_parser.accepts()
    return set(problem.expected if isinstance(problem, UnexpectedToken) else problem.allowed)


def _unknown_word(word: Token, previous: str, expected_names: set[str], expected: str) -> ObsqlError:
    suggestion = did_you_mean(word, _keywords(expected_names))
    units = language().time_units
    if suggestion is None and UNIT_TERMINAL in expected_names:
        return ObsqlError("syntax", f"unknown time unit '{word}': use {', '.join(units)} (or their plurals)",
                          word.line, word.column, did_you_mean(time_unit(word), units))
    if suggestion is None and any(name in QUOTED_TERMINALS for name in expected_names):
        suggestion = f"put it in single quotes: '{word}'"
    message = f"unknown word '{word}'{_after(previous)}: expected {expected}"
    return ObsqlError("syntax", message, word.line, word.column, suggestion)


def _unexpected_character(problem: UnexpectedCharacters) -> ObsqlError:
    char = problem.char
    if char in "'\"":
        return ObsqlError("syntax", f"this quote ({char}) is never closed", problem.line, problem.column,
                          f"end the text with {char}; write {char * 2} for a {char} inside it")
    previous = _previous_text(problem)
    message = f"unexpected character '{char}'{_after(previous)}: expected {_expected(_accepted(problem))}"
    return ObsqlError("syntax", message, problem.line, problem.column)


def _previous_text(problem: UnexpectedInput) -> str:
    history = getattr(problem, "token_history", None) or [None]
    return "" if history[-1] is None else str(history[-1])


def _after(previous: str) -> str:
    """' after <the token before>', or nothing at the start of a statement."""
    if previous in ("", ";"):
        return ""
    return f" after {_show(previous)}"


def _show(token: str) -> str:
    """A token as a message quotes it: keywords bare (they are the language's words), the user's text quoted."""
    text = str(token) if len(token) <= 40 else token[:37] + "..."
    if text.lower() in language().keywords or text.startswith("'"):
        return text
    return f"'{text}'"


def _keyword(terminal: str) -> str | None:
    """The word of a keyword terminal, unless the terminal has words of its own (IS_EMPTY: is empty or is not empty)."""
    return None if terminal in PUNCTUATION_WORDS else language().keyword_of.get(terminal)


def _keywords(terminals: Iterable[str]) -> list[str]:
    return [word for word in map(_keyword, terminals) if word]


def _rank(terminal: str) -> int:
    keywords = language().keywords
    word = _keyword(terminal)
    if word:
        return len(OPERAND_WORDS) + keywords.index(word)
    if terminal in OPERAND_WORDS:
        return list(OPERAND_WORDS).index(terminal)
    return len(OPERAND_WORDS) + len(keywords) + list(PUNCTUATION_WORDS).index(terminal)


def _groups() -> tuple[tuple[set[str], set[str], str], ...]:
    """GROUPS, after the statements' group, whose words come from the grammar: 'a statement (runs, recent ...)'."""
    oql = language()
    statements = ({"_RUNS", "_HISTORY"}, set(oql.statement_terminals),
                  "a statement (" + ", ".join(oql.statement_keywords) + ")")
    return (statements, *GROUPS)


def _expected(terminals: Iterable[str]) -> str:
    """What would have fit, in words: 'one of: where, since, until, |, ; or the end'."""
    remaining = {name for name in terminals if name not in language().ignored}
    phrases = []
    for triggers, members, phrase in _groups():
        if triggers <= remaining:
            phrases.append((min(_rank(name) for name in members & remaining), phrase))
            remaining -= members
    phrases += [(_rank(name), terminal_words(name)) for name in remaining]
    words = [phrase for _, phrase in sorted(phrases)]
    if len(words) == 1:
        return words[0]
    return "one of: " + ", ".join(words[:-1]) + " or " + words[-1]
