"""Text to syntax tree: `parse` runs the LALR parser built from oql.lark (language.py) and turns its tree into `ast`
nodes; `next_keywords` asks the same parser which keywords may come next.

Every failure, from a stray character to a date that does not exist, becomes an `ObsqlError` of kind "syntax" that
names what was found and what would have fit, in words (syntax_errors.py), with the line and column of the spot.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from lark import Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedInput, VisitError

from obsql.errors import ObsqlError, position
from obsql.grammar import ast
from obsql.grammar.language import UNIT_TERMINAL, language, time_unit, word_list
from obsql.grammar.syntax_errors import syntax_error

MAX_NESTING = 100
TIME_FORMAT = re.compile(r"@(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse(text: str) -> ast.Script:
    """The statements of an OQL text, or an ObsqlError (kind "syntax") pointing at the first problem."""
    try:
        tree = language().parser.parse(text)
        statements = [child for child in tree.children if child is not None]
        nodes = tuple(_AstBuilder().transform(statement) for statement in statements)
        for node in nodes:
            _check_nesting(node)
    except UnexpectedInput as problem:
        raise syntax_error(problem, text) from None
    except VisitError as wrapped:
        if isinstance(wrapped.orig_exc, ObsqlError):
            raise wrapped.orig_exc.with_source(text) from None
        raise
    except ObsqlError as error:
        raise error.with_source(text) from None
    texts = tuple(text[s.meta.start_pos:s.meta.end_pos].strip() for s in statements)
    return ast.Script(nodes, texts, line=1, column=1)


def statements_apart(text: str) -> list[str]:
    """Each statement of a text on its own, every character of the others blanked (line breaks kept), so each parses
    alone while its errors point at the text's own lines and columns: a script goes on past a bad statement."""
    cuts = [token.end_pos for token in language().scan(text) if token.type == "_SEMI"]
    spans = zip([0, *cuts], [*cuts, len(text)])
    return [_blanked(text, start, end) for start, end in spans if text[start:end].strip(" \t\r\n;")]


def _blanked(text: str, start: int, end: int) -> str:
    def blank(part: str) -> str:
        return "".join(char if char == "\n" else " " for char in part)

    return blank(text[:start]) + text[start:end] + blank(text[end:])


def next_keywords(text: str) -> tuple[str, ...] | None:
    """The keywords (and time units) that may come right after `text`, or None when it does not read as OQL so far.

    The LALR parser is fed the text and asked which terminals its state accepts (for completion in the shell)."""
    oql = language()
    interactive = oql.parser.parse_interactive(text)
    try:
        interactive.exhaust_lexer()
    except UnexpectedInput:
        return None
    accepted = interactive.accepts()
    keywords = {oql.keyword_of.get(name) for name in accepted}
    units = oql.time_units if UNIT_TERMINAL in accepted else ()
    return tuple(word for word in oql.keywords if word in keywords) + units


def __getattr__(name: str) -> tuple[str, ...]:
    """KEYWORDS, STATEMENT_KEYWORDS and TIME_UNITS: the language's words, read from the grammar when asked for."""
    return word_list(__name__, name)


# -- tree to AST --------------------------------------------------------------------------------------------------
def _at(meta_or_token) -> dict:
    return {"line": meta_or_token.line, "column": meta_or_token.column}


def _unquote(token: Token) -> str:
    mark = token[0]
    return token[1:-1].replace(mark * 2, mark)


def quote(text: str) -> str:
    """OQL's string literal of a text (what `parse` reads back as the text): for OQL written by code."""
    return "'" + text.replace("'", "''") + "'"


def _check_nesting(statement: ast.Node) -> None:
    """Refuse a statement nested deeper than MAX_NESTING (no query needs it; the compiler recurses on the tree)."""
    stack = [(statement, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ObsqlError("syntax", f"the statement nests deeper than {MAX_NESTING} levels here",
                             suggestion="write the expression with fewer parentheses, calls and operators inside "
                                        "one another", **position(node))
        for value in vars(node).values():
            stack += [(child, depth + 1) for child in (value if isinstance(value, tuple) else (value,))
                      if isinstance(child, ast.Node)]


def _number(token: Token) -> int | float:
    number = int(token) if token.isdigit() else float(token)
    if number == float("inf"):
        raise ObsqlError("syntax", f"the number {token} is too large to be read", **_at(token))
    return number


def _count(token: Token, after: str) -> int:
    if not token.isdigit():
        raise ObsqlError("syntax", f"expected a whole number after {after}, but found '{token}'", **_at(token))
    return int(token)


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

    def pointers(self, meta, *pointers):
        return tuple(dict.fromkeys(_unquote(pointer) for pointer in pointers))

    def flag(self, meta, pointers):
        return ast.Flag(pointers, **_at(meta))

    def flag_outputs(self, meta, component, where, time):
        return ast.Flag(outputs=ast.SliceTrace(component, where, time, **_at(meta)), **_at(meta))

    def unflag(self, meta, pointers):
        return ast.Unflag(pointers, **_at(meta))

    def unflag_outputs(self, meta, component, where, time):
        return ast.Unflag(outputs=ast.SliceTrace(component, where, time, **_at(meta)), **_at(meta))

    def tags(self, meta, *tags):
        return tuple(dict.fromkeys(_unquote(tag) for tag in tags))

    def tag(self, meta, component, tags):
        return ast.Tag(component, tags, True, **_at(meta))

    def untag(self, meta, component, tags):
        return ast.Tag(component, tags, False, **_at(meta))

    def note(self, meta, run_id, text):
        return ast.Note(_unquote(run_id), _unquote(text), **_at(meta))

    def unflag_all(self, meta, _all):
        return ast.Unflag(**_at(meta))

    # sources
    def runs(self, meta, component, where, time):
        return ast.Runs(component, where, time, **_at(meta))

    def recent(self, meta, limit):
        return ast.Recent(None if limit is None else _count(limit, "recent"), **_at(meta))

    def components(self, meta, where):
        return ast.Components(where, **_at(meta))

    def list_tags(self, meta):
        return ast.Tags(**_at(meta))

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

    def alerts(self, meta, every, component, time):
        return ast.Alerts(component, time, every is not None, **_at(meta))

    def review(self, meta):
        return ast.Review(**_at(meta))

    def diagnose(self, meta, component, where, time):
        return ast.Diagnose(component, where, time, **_at(meta))

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

    def rank_runs(self, meta, against):
        return ast.RankRuns(against, **_at(meta))

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
        return ast.Interval(_number(amount), time_unit(unit), **_at(meta))

    def every(self, meta, interval_or_unit):
        if isinstance(interval_or_unit, ast.Interval):
            return interval_or_unit
        return ast.Interval(1, time_unit(interval_or_unit), **_at(meta))

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
            (excluded,) = rest
            return (ast.Star(excluded or (), **_at(first)),), False
        return rest, first is not None

    def excluded(self, meta, *names):
        return tuple(_unquote(n) if n.type == "QUOTED_NAME" else str(n) for n in names)
