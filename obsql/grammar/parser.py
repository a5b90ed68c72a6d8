"""Text to syntax tree: `parse` runs the LALR parser built from oql.lark and turns its tree into `ast` nodes.

Every failure, from a stray character to a date that does not exist, becomes an `ObsqlError` of kind "syntax" that
names what was found and what would have fit, in words, with the line and column of the spot.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from pathlib import Path

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from obsql.errors import ObsqlError, did_you_mean
from obsql.grammar import ast

GRAMMAR = Path(__file__).with_name("oql.lark")

STATEMENT_KEYWORDS = (
    "runs", "recent", "components", "inspect", "history", "trace", "stale", "alerts", "flag", "unflag", "review",
    "compare", "sql", "expect",
)
# Every keyword, statements first and then in the order clauses come; error messages list expected words so.
KEYWORDS = STATEMENT_KEYWORDS + (
    "run", "forward", "outputs", "of", "where", "metric", "since", "until", "between", "and", "every", "depth", "with",
    "on", "all", "select", "order", "by", "asc", "desc", "limit", "group", "aggregate", "as", "rank", "or", "not",
    "is", "in", "like", "ilike", "null", "true", "false", "distinct", "ago", "now", "empty",
)
TIME_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")

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
IGNORED_TERMINALS = ("WS", "COMMENT")

# Sets of terminals named by one phrase when all of a set's triggers are expected (a long list helps nobody).
GROUPS = (
    ({"_RUNS", "_HISTORY"}, {"_" + word.upper() for word in STATEMENT_KEYWORDS},
     "a statement (" + ", ".join(STATEMENT_KEYWORDS) + ")"),
    ({"COMPONENT"}, {"COMPONENT", "QUOTED_COMPONENT"}, "a component name"),
    ({"NAME", "NUMBER"},
     {"NAME", "QUOTED_NAME", "NUMBER", "STRING", "DATETIME", "_LPAR", "MINUS", "NOT", "_NULL", "_TRUE", "_FALSE",
      "_NOW"},
     "an expression"),
    ({"PLUS", "STAR"},
     {"COMP_OP", "PLUS", "MINUS", "STAR", "SLASH", "_AND", "_OR", "_IS", "_IN", "NOT", "LIKE", "ILIKE", "_BETWEEN"},
     "an operator"),
)
WORD_TERMINALS = ("NAME", "COMPONENT")
EMPTY_HINT = "`is empty` and `is not empty` end an expect statement (expect runs ... is empty); for values, is null"
QUOTED_TERMINALS = ("POINTER", "RUN_ID", "STRING", "QUOTED_COMPONENT")
TIME_FORMAT = re.compile(r"@(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse(text: str) -> ast.Script:
    """The statements of an OQL text, or an ObsqlError (kind "syntax") pointing at the first problem."""
    try:
        tree = _lark().parse(text)
        statements = [child for child in tree.children if child is not None]
        nodes = tuple(_AstBuilder().transform(statement) for statement in statements)
    except UnexpectedInput as problem:
        raise _syntax_error(problem, text) from None
    except VisitError as wrapped:
        if isinstance(wrapped.orig_exc, ObsqlError):
            raise wrapped.orig_exc.with_source(text) from None
        raise
    texts = tuple(text[s.meta.start_pos:s.meta.end_pos].strip() for s in statements)
    return ast.Script(nodes, texts, line=1, column=1)


def next_keywords(text: str) -> tuple[str, ...] | None:
    """The keywords (and time units) that may come right after `text`, or None when it does not read as OQL so far.

    The LALR parser is fed the text and asked which terminals its state accepts (for completion in the shell)."""
    interactive = _lark().parse_interactive(text)
    try:
        interactive.exhaust_lexer()
    except UnexpectedInput:
        return None
    accepted = interactive.accepts()
    keywords = {_KEYWORD_TERMINALS.get(name) for name in accepted}
    return tuple(word for word in KEYWORDS if word in keywords) + (TIME_UNITS if "UNIT" in accepted else ())


_KEYWORD_TERMINALS = {**{f"_{w.upper()}": w for w in KEYWORDS}, **{w.upper(): w for w in KEYWORDS}, "IS_EMPTY": "is"}


@functools.cache
def _lark() -> Lark:
    """The parser, built on first use; Lark caches its tables on disk so later processes start fast."""
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", propagate_positions=True,
                maybe_placeholders=True, cache=True)


# -- tree to AST --------------------------------------------------------------------------------------------------
def _at(meta_or_token) -> dict:
    return {"line": meta_or_token.line, "column": meta_or_token.column}


def _unquote(token: Token) -> str:
    quote = token[0]
    return token[1:-1].replace(quote * 2, quote)


def _number(token: Token) -> int | float:
    return int(token) if token.isdigit() else float(token)


def _count(token: Token, after: str) -> int:
    if not token.isdigit():
        raise ObsqlError("syntax", f"expected a whole number after {after}, but found '{token}'", **_at(token))
    return int(token)


def _unit(token: Token) -> str:
    return token.lower().removesuffix("s")


def _datetime(token: Token) -> datetime:
    match = TIME_FORMAT.fullmatch(token)
    if match is None:
        raise ObsqlError("syntax", f"bad time '{token}': write @YYYY-MM-DD, @YYYY-MM-DDTHH:MM or @YYYY-MM-DDTHH:MM:SS",
                         suggestion="times are UTC, e.g. @2020-03-15T10:00", **_at(token))
    try:
        return datetime(*(int(part) for part in match.groups() if part is not None), tzinfo=timezone.utc)
    except ValueError:
        raise ObsqlError("syntax", f"bad time '{token}': there is no such date or time", **_at(token)) from None


@v_args(meta=True, inline=True)
class _AstBuilder(Transformer_NonRecursive):
    """One method per grammar rule (or alias): the rule's parts in, an AST node (or a plain value) out."""

    # statements
    def query(self, meta, source, *pipes):
        return ast.Query(source, pipes, **_at(meta))

    def expect_condition(self, meta, source, *pipes_then_condition):
        *pipes, condition = pipes_then_condition
        return ast.Expect(ast.Query(source, tuple(pipes), **_at(source)), "condition",
                          condition, **_at(meta))

    def expect_empty(self, meta, source, *pipes_then_ending):
        *pipes, ending = pipes_then_ending
        kind = "not_empty" if "not" in ending.lower().split() else "empty"
        return ast.Expect(ast.Query(source, tuple(pipes), **_at(source)), kind, **_at(meta))

    def flag(self, meta, pointer):
        return ast.Flag(_unquote(pointer), **_at(meta))

    def unflag(self, meta, pointer):
        return ast.Unflag(_unquote(pointer), **_at(meta))

    def unflag_all(self, meta):
        return ast.Unflag(None, **_at(meta))

    # sources
    def runs(self, meta, component, where, time):
        return ast.Runs(component, where, time, **_at(meta))

    def recent(self, meta, limit):
        return ast.Recent(None if limit is None else _count(limit, "recent"), **_at(meta))

    def components(self, meta):
        return ast.Components(**_at(meta))

    def inspect_run(self, meta, run_id):
        return ast.InspectRun(_unquote(run_id), **_at(meta))

    def inspect_pointer(self, meta, pointer):
        return ast.InspectPointer(_unquote(pointer), **_at(meta))

    def history(self, meta, component, metrics, time, every):
        return ast.History(component, metrics or (), time, every, **_at(meta))

    def trace(self, meta, forward, pointer, depth):
        depth = None if depth is None else _count(depth, "depth")
        return ast.Trace(_unquote(pointer), forward is not None, depth, **_at(meta))

    def slice_trace(self, meta, component, where, time):
        return ast.SliceTrace(component, where, time, **_at(meta))

    def stale(self, meta, component, time):
        return ast.Stale(component, time, **_at(meta))

    def alerts(self, meta, component, time):
        return ast.Alerts(component, time, **_at(meta))

    def review(self, meta):
        return ast.Review(**_at(meta))

    def compare(self, meta, left, right, on):
        return ast.Compare(left, right, on or (), **_at(meta))

    def side(self, meta, component, where, time):
        return ast.Side(component, where, time, **_at(meta))

    def sql(self, meta, *chunks):
        return ast.Sql("\n".join(chunk.strip() for chunk in chunks), **_at(meta))

    def component(self, meta, name):
        return ast.Name(_unquote(name) if name.type == "QUOTED_COMPONENT" else str(name), name.line, name.column)

    # pipes
    def where(self, meta, condition):
        return ast.Where(condition, **_at(meta))

    def select(self, meta, items):
        return ast.Select(items, **_at(meta))

    def order_by(self, meta, *items):
        return ast.OrderBy(items, **_at(meta))

    def limit(self, meta, count):
        return ast.Limit(_count(count, "limit"), **_at(meta))

    def group_by(self, meta, keys, aggregates):
        return ast.GroupBy(keys, aggregates or (), **_at(meta))

    def rank_runs(self, meta):
        return ast.RankRuns(**_at(meta))

    def select_items(self, meta, *items):
        return items

    def select_item(self, meta, expr, alias):
        return ast.SelectItem(expr, alias, **_at(meta))

    def alias(self, meta, name):
        return _unquote(name) if name.type == "QUOTED_NAME" else str(name)

    def order_item(self, meta, expr, direction):
        return ast.OrderItem(expr, direction is not None and direction.type == "DESC", **_at(meta))

    # time
    def since(self, meta, start, end):
        return ast.TimeRange(start, end, **_at(meta))

    def until(self, meta, end):
        return ast.TimeRange(None, end, **_at(meta))

    def between_times(self, meta, start, end):
        return ast.TimeRange(start, end, **_at(meta))

    def absolute(self, meta, token):
        return ast.TimePoint("absolute", at=_datetime(token), **_at(meta))

    def ago(self, meta, interval):
        return ast.TimePoint("ago", ago=interval, **_at(meta))

    def now(self, meta):
        return ast.TimePoint("now", **_at(meta))

    def interval(self, meta, amount, unit):
        return ast.Interval(_number(amount), _unit(unit), **_at(meta))

    def every(self, meta, interval_or_unit):
        if isinstance(interval_or_unit, ast.Interval):
            return interval_or_unit
        return ast.Interval(1, _unit(interval_or_unit), **_at(meta))

    # expressions
    def values(self, meta, *items):
        return items

    def or_(self, meta, left, right):
        return ast.Binary("or", left, right, **_at(meta))

    def and_(self, meta, left, right):
        return ast.Binary("and", left, right, **_at(meta))

    def not_(self, meta, _not, operand):
        return ast.Unary("not", operand, **_at(meta))

    def comparison(self, meta, left, op, right):
        return ast.Binary("!=" if op == "<>" else str(op), left, right, **_at(meta))

    def like(self, meta, left, negated, op, right):
        matched = ast.Binary(op.type.lower(), left, right, **_at(meta))
        return matched if negated is None else ast.Unary("not", matched, **_at(meta))

    def in_list(self, meta, expr, negated, *items):
        return ast.InList(expr, items, negated is not None, **_at(meta))

    def between(self, meta, expr, negated, low, high):
        return ast.Between(expr, low, high, negated is not None, **_at(meta))

    def is_null(self, meta, expr, negated):
        return ast.IsNull(expr, negated is not None, **_at(meta))

    def arithmetic(self, meta, left, op, right):
        return ast.Binary(str(op), left, right, **_at(meta))

    def negative(self, meta, _minus, operand):
        return ast.Unary("-", operand, **_at(meta))

    def column(self, meta, name):
        return ast.Column(str(name), **_at(meta))

    def quoted_column(self, meta, name):
        return ast.Column(_unquote(name), **_at(meta))

    def number(self, meta, token):
        return ast.Literal(_number(token), **_at(meta))

    def string(self, meta, token):
        return ast.Literal(_unquote(token), **_at(meta))

    def true(self, meta):
        return ast.Literal(True, **_at(meta))

    def false(self, meta):
        return ast.Literal(False, **_at(meta))

    def null(self, meta):
        return ast.Literal(None, **_at(meta))

    def call(self, meta, name, arguments):
        args, distinct = arguments or ((), False)
        return ast.Call(str(name), args, distinct, **_at(meta))

    def arguments(self, meta, first, *rest):
        if isinstance(first, Token) and first.type == "STAR":
            return (ast.Star(**_at(first)),), False
        return rest, first is not None


# -- errors in words ----------------------------------------------------------------------------------------------
def _syntax_error(problem: UnexpectedInput, text: str) -> ObsqlError:
    if isinstance(problem, UnexpectedToken):
        error = _unexpected_token(problem, text)
    elif isinstance(problem, UnexpectedCharacters):
        error = _unexpected_character(problem)
    else:
        error = ObsqlError("syntax", "the query could not be read", problem.line, problem.column)
    return error.with_source(text)


def _unexpected_token(problem: UnexpectedToken, text: str) -> ObsqlError:
    token, accepted = problem.token, _accepted(problem)
    expected = _expected(accepted)
    if token.type == "$END":
        previous = text[token.start_pos:token.end_pos] if token.end_pos else ""
        message = f"the query ends too early: expected {expected}{_after(previous)}"
        return ObsqlError("syntax", message, token.end_line or 1, token.end_column or 1)
    previous = _previous_text(problem)
    if token.type in WORD_TERMINALS:
        return _unknown_word(token, previous, accepted, expected)
    # Only the error report's fallback lexer reads SQL text outside `sql`; there it swallows the rest of the line.
    found = token[0] if token.type == "SQL_TEXT" else token
    message = f"expected {expected}{_after(previous)}, but found {_show(found)}"
    suggestion = EMPTY_HINT if token.type == "IS_EMPTY" else did_you_mean(token, _keywords(accepted))
    return ObsqlError("syntax", message, token.line, token.column, suggestion)


def _accepted(problem: UnexpectedInput) -> set[str]:
    """The terminals that would have fit. Lark's own set is the LALR state's, which merges contexts and so lists
    words that fit elsewhere (`with` after `runs of clean`); asking the parser which tokens it accepts is exact."""
    if getattr(problem, "interactive_parser", None) is not None:
        return problem.interactive_parser.accepts()
    return set(problem.expected if isinstance(problem, UnexpectedToken) else problem.allowed)


def _unknown_word(word: Token, previous: str, expected_names, expected: str) -> ObsqlError:
    suggestion = did_you_mean(word, _keywords(expected_names))
    if suggestion is None and "UNIT" in expected_names:
        return ObsqlError("syntax", f"unknown time unit '{word}': use {', '.join(TIME_UNITS)} (or their plurals)",
                          word.line, word.column, did_you_mean(_unit(word), TIME_UNITS))
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
    if text.lower() in KEYWORDS or text.startswith("'"):
        return text
    return f"'{text}'"


def _keyword(terminal: str) -> str | None:
    word = terminal.lstrip("_").lower()
    return word if word in KEYWORDS else None


def _keywords(terminals) -> list[str]:
    return [word for word in map(_keyword, terminals) if word]


def _rank(terminal: str) -> int:
    word = _keyword(terminal)
    if word:
        return len(OPERAND_WORDS) + KEYWORDS.index(word)
    if terminal in OPERAND_WORDS:
        return list(OPERAND_WORDS).index(terminal)
    return len(OPERAND_WORDS) + len(KEYWORDS) + list(PUNCTUATION_WORDS).index(terminal)


def _words(terminal: str) -> str:
    return _keyword(terminal) or OPERAND_WORDS.get(terminal) or PUNCTUATION_WORDS[terminal]


def _expected(terminals) -> str:
    """What would have fit, in words: 'one of: where, since, until, |, ; or the end'."""
    remaining = {name for name in terminals if name not in IGNORED_TERMINALS}
    phrases = []
    for triggers, members, phrase in GROUPS:
        if triggers <= remaining:
            phrases.append((min(_rank(name) for name in members & remaining), phrase))
            remaining -= members
    phrases += [(_rank(name), _words(name)) for name in remaining]
    words = [phrase for _, phrase in sorted(phrases)]
    if len(words) == 1:
        return words[0]
    return "one of: " + ", ".join(words[:-1]) + " or " + words[-1]
