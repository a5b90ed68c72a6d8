"""Completion by context: what may come at the cursor, read from the words before it.

`completion_context` is a pure function of the text before the cursor (the keywords the grammar accepts next, a
component after `of`, `history`, `compare` and `with`, a metric after `metric`, a column after `where`, a sampled
data column of the compared components after `compare ... on`, a pointer inside the quotes after `trace`, `inspect`
and `flag`, a run id inside the quotes after `run`, a dot command and its argument); `OqlCompleter` fills each
context with words, from the grammar, the command registry and the store's names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from lark import Token
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from obsql.compiler.compare import COMPARE_STATS
from obsql.grammar.language import NAME_TERMINALS, UNCLOSED, UNIT_TERMINAL, language
from obsql.grammar.parser import next_keywords
from obsql.repl import commands
from obsql.repl.enter import LEAVE_WORDS
from obsql.result import CARD_COLUMNS, RANK_COLUMNS, RUN_COLUMNS, SLICE_COLUMNS, TRACE_COLUMNS
from obsql.storage.schemas import TABLES

COMPONENT_AFTER = ("of", "history", "compare", "with")
POINTER_AFTER = ("trace", "forward", "inspect", "flag")
COLUMN_AFTER = ("where", "and", "or", "not", "select", "by", "aggregate", "(")
DATA_COLUMN_AFTER = ("on", ",", "(", "except")  # inside `compare ... on`: the compared data's columns
COMPARE_CALLS = ("drift(", "adversarial(")
# Clauses whose items are separated by commas: the item after a comma is of the clause's kind.
LIST_CLAUSES = {"metric": "metric", "select": "column", "by": "column", "aggregate": "column"}
PIPE_WORDS = ("where", "select", "order", "group", "limit", "rank")
NEXT_WORDS = {
    "order": ("by",), "group": ("by",), "rank": ("runs",), "inspect": ("run",), "trace": ("forward", "outputs"),
    "outputs": ("of",), "unflag": ("all",), "is": ("not", "null", "empty"),
}

# The columns a pipe sees after each statement, and (keys ending in " where") the columns its own where-condition
# sees where those differ (docs/oql.md). A test runs a condition on every one of them, so they stay true.
COLUMNS = {
    "runs": RUN_COLUMNS,
    "recent": RUN_COLUMNS,
    "stale": ("run_id", "component", "start_time", "status", "reasons"),
    "components": ("component", "description", "owner", "tags", "runs", "failed", "stale", "first_run", "last_run"),
    "tags": ("tag", "components", "n_components"),
    "trace": TRACE_COLUMNS,
    "outputs": SLICE_COLUMNS,
    "outputs where": ("pointer", "value", "label", "run_id", "start_time", "end_time", "pointer_type"),
    "rank": RANK_COLUMNS,
    "review": RANK_COLUMNS,
    "inspect": CARD_COLUMNS,
    "history": ("start_time", "run_id"),
    "history every": ("bucket", "runs"),
    "compare": ("column_name", *(f"{side}_{stat}" for stat in COMPARE_STATS for side in ("left", "right")),
                "mean_diff", "mean_shift_sd", "null_frac_diff"),
    "compare where": ("pointer", "column_name", "count", "nulls", "mean", "std", "min", "max", "run_id", "start_time",
                      "status", "stale"),
    "sql": tuple(sorted({column for spec in TABLES.values() for column in spec.columns})),
}


@dataclass(frozen=True)
class Context:
    """What fits at the cursor: a kind of word, the part of it already typed, and what the kind needs to know."""

    kind: str  # keyword, component, metric, column, data_column, pointer, flagged, run, command, argument, path, nothing
    prefix: str = ""
    words: tuple[str, ...] = ()  # the candidates of a keyword, command or argument context
    component: str | None = None  # for metric (and history columns): the component named after `history`
    compared: tuple[str, ...] = ()  # for data_column: the components of both sides of a compare
    source: str = ""  # for column: the key of COLUMNS whose columns fit
    piped: tuple[str, ...] | None = None  # for column: what an earlier select or group by pipe left instead


NOTHING = Context("nothing")
QUOTED_KINDS = ("pointer", "flagged", "run")  # completed inside quotes, which the completion closes


def completion_context(text: str) -> Context:
    """The context at the end of `text`, the text before the cursor."""
    if text.lstrip().startswith("."):
        return _dot_context(text)
    tokens = language().scan(text, raw_text=False)  # the words of SQL too: columns complete in it
    statement = _current_statement([token for token in tokens if token.type != "WS"])
    last = statement[-1] if statement else None
    if last is not None and last.type == "COMMENT":
        return NOTHING
    if last is not None and last.type == UNCLOSED and last.startswith("'"):
        return _quoted_context(statement)
    typing_word = last is not None and _is_word(last) and last.end_pos == len(text)
    before = [_lowered(token) for token in (statement[:-1] if typing_word else statement)]
    return _word_context(before, str(last) if typing_word else "")


def _is_word(token: Token) -> bool:
    """Whether a token is a bare word (a keyword, a time unit or a name), which completion reads in lowercase."""
    return token.type in language().keyword_of or token.type in (UNIT_TERMINAL, *NAME_TERMINALS)


def _lowered(token: Token) -> Token:
    return token.update(value=token.lower()) if _is_word(token) else token


def _current_statement(tokens: list[Token]) -> list[Token]:
    """The tokens after the last `;`."""
    ends = [i for i, token in enumerate(tokens) if token == ";"]
    return tokens[ends[-1] + 1:] if ends else tokens


def _dot_context(text: str) -> Context:
    line = text.lstrip()
    name, space, argument = line.partition(" ")
    if not space:
        return Context("command", name, tuple(commands.COMMANDS))
    argument = argument.lstrip()
    if commands.COMMANDS.get(name) is not None and commands.COMMANDS[name].takes_path:
        return Context("path", argument)
    return Context("argument", argument, commands.argument_choices(name))


def _quoted_context(statement: list[str]) -> Context:
    prefix = statement[-1][1:].replace("''", "'")
    previous = statement[-2].lower() if len(statement) > 1 else ""
    if previous == "unflag":
        return Context("flagged", prefix)
    if previous == "run":
        return Context("run", prefix)
    return Context("pointer", prefix) if previous in POINTER_AFTER else NOTHING


def _word_context(before: list[Token], prefix: str) -> Context:
    oql = language()
    if not before:
        return Context("keyword", prefix, oql.statement_keywords + LEAVE_WORDS)
    previous = before[-1]
    compared = _compared_components(before)
    if compared is not None and previous in DATA_COLUMN_AFTER:
        calls = COMPARE_CALLS if previous in ("on", ",") else ()
        return Context("data_column", prefix, calls, compared=compared)
    if previous in COMPONENT_AFTER:
        return Context("component", prefix)
    item = LIST_CLAUSES.get(_clause(before)) if previous == "," else None  # a new item of a list clause
    if previous == "metric" or item == "metric":
        return Context("metric", prefix, component=_component_of_history(before))
    if previous == "|":
        return Context("keyword", prefix, PIPE_WORDS)
    if previous in NEXT_WORDS:
        return Context("keyword", prefix, NEXT_WORDS[previous])
    if previous in COLUMN_AFTER or item == "column":
        return Context("column", prefix, source=_source(before), component=_component_of_history(before),
                       piped=_left_by_earlier_pipes(before))
    fitting = next_keywords(" ".join(t for t in before if t.type != "COMMENT"))
    after_number = previous.type == "NUMBER"
    if fitting is None:  # not OQL as far as the cursor: offer what usually fits
        fitting = oql.time_units if after_number else oql.keywords
    if after_number and previous != "1":
        fitting = tuple(word + "s" if word in oql.time_units else word for word in fitting)
    return Context("keyword", prefix, fitting)


def _clause(before: list[str]) -> str | None:
    """The last clause word that takes a list (metric, select, by, aggregate), if it still governs the cursor."""
    for token in reversed(before):
        if token in LIST_CLAUSES:
            return token
        if token in ("|", "where", "every", "since", "until", "between", "on", "with"):
            return None
    return None


def _compared_components(before: list[str]) -> tuple[str, ...] | None:
    """The two sides' components when the cursor is in a compare's `on` list (before any pipe), else None."""
    words = before[1:] if before[0] == "expect" else before
    if words[:1] != ["compare"] or "on" not in words or "|" in words[words.index("on"):]:
        return None
    sides = [words[1] if len(words) > 1 else ""]
    if "with" in words and words.index("with") + 1 < len(words):
        sides.append(words[words.index("with") + 1])
    return tuple(str(side) for side in dict.fromkeys(sides) if side)


def _component_of_history(before: list[str]) -> str | None:
    words = before[1:] if before[0] == "expect" else before
    return words[1] if len(words) > 1 and words[0] == "history" else None


def _source(before: list[str]) -> str:
    """The key of COLUMNS whose columns fit: the statement's word (the query's, inside an `expect`), told apart where
    its pipes and its own condition see different columns."""
    words = before[1:] if before[0] == "expect" and len(before) > 1 else before
    piped = "|" in words
    if piped and "rank" in words:
        return "rank"
    key = "outputs" if words[:2] == ["trace", "outputs"] else words[0]
    if key == "history" and "every" in words:
        key = "history every"
    return key if piped or f"{key} where" not in COLUMNS else f"{key} where"


def _left_by_earlier_pipes(before: list[str]) -> tuple[str, ...] | None:
    """The columns the last select or group by pipe before the cursor's own pipe left (aliases, or bare names)."""
    pipes = _split(before, "|")[1:-1]
    for pipe in reversed(pipes):
        if pipe[:1] == ["select"]:
            return _item_names(pipe[1:])
        if pipe[:2] == ["group", "by"]:
            grouped = pipe[2:]
            cut = grouped.index("aggregate") if "aggregate" in grouped else len(grouped)
            return _item_names(grouped[:cut]) + _item_names(grouped[cut + 1:])
    return None


def _item_names(tokens: list[Token]) -> tuple[str, ...]:
    """The names of comma-separated select items: an item's alias, or the item itself when it is a bare name."""
    names = []
    for item in _split(tokens, ","):
        if len(item) >= 2 and item[-2] == "as":
            names.append(item[-1].strip('"'))
        elif len(item) == 1 and _is_word(item[0]):
            names.append(str(item[0]))
    return tuple(names)


def _split(tokens: list[str], separator: str) -> list[list[str]]:
    """Tokens cut at each `separator` outside parentheses."""
    parts: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        depth += (token == "(") - (token == ")")
        if token == separator and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


class Names(Protocol):
    """The store's names, as `StoreNames` gives them (tests pass a fixed set)."""

    def components(self) -> list[str]: ...

    def metrics(self, component: str) -> list[str]: ...

    def flagged(self) -> list[str]: ...

    def pointers(self, prefix: str) -> list[str]: ...

    def columns(self, component: str) -> list[str]: ...

    def run_ids(self, prefix: str) -> list[str]: ...


class OqlCompleter(Completer):
    """Completions for the shell's buffer, by context."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        context = completion_context(document.text_before_cursor)
        if context.kind == "path":
            yield from self._paths.get_completions(Document(context.prefix), complete_event)
            return
        if context.kind == "keyword" and not context.prefix and not complete_event.completion_requested:
            return  # after a space, keywords show on Tab only: a menu after every word would be noise
        for word in self.candidates(context):
            if context.kind in QUOTED_KINDS:
                yield Completion(word.replace("'", "''") + "'", -len(context.prefix.replace("'", "''")),
                                 display=word)
            else:
                yield Completion(word, -len(context.prefix))

    def candidates(self, context: Context) -> list[str]:
        """The words that fit `context` and start with its prefix (in any case)."""
        if context.kind == "pointer":
            return self.names.pointers(context.prefix)  # the store filters them by prefix
        if context.kind == "run":
            return self.names.run_ids(context.prefix)
        start = context.prefix.lower()
        return [word for word in self._words(context) if word.lower().startswith(start)]

    def _words(self, context: Context) -> Sequence[str]:
        if context.kind in ("keyword", "command", "argument"):
            return context.words
        if context.kind == "component":
            return self.names.components()
        if context.kind == "metric":
            return self.names.metrics(context.component) if context.component else []
        if context.kind == "column" and context.piped is not None:
            return context.piped
        if context.kind == "column":
            in_history = context.source.startswith("history") and context.component
            metrics = self.names.metrics(context.component) if in_history else []
            return [*COLUMNS.get(context.source, ()), *metrics]
        if context.kind == "data_column":
            columns = dict.fromkeys(c for component in context.compared for c in self.names.columns(component))
            return [*columns, *context.words]
        if context.kind == "flagged":
            return self.names.flagged()
        return ()
