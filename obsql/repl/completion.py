"""Completion by context: what may come at the cursor, read from the words before it.

`completion_context` is a pure function of the text before the cursor (the keywords the grammar accepts next, a
component after `of`, `history`, `compare` and `with`, a metric after `metric`, a column after `where`, a pointer
inside the quotes after `trace`, `inspect` and `flag`, a dot command and its argument); `OqlCompleter` fills each
context with words, from the grammar, the command registry and the store's names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from obsql.compiler.statements import COMPARE_STATS
from obsql.grammar import KEYWORDS, TIME_UNITS
from obsql.grammar.parser import STATEMENT_KEYWORDS, next_keywords
from obsql.repl import commands
from obsql.repl.enter import LEAVE_WORDS
from obsql.storage.schemas import TABLES

_WORD = r"[A-Za-z_][\w.\-]*"  # a name or keyword; component names may hold - and .
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_TOKENS = re.compile(rf"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|#[^\n]*|@[\w:.+\-]*|{_NUMBER}|{_WORD}|<=|>=|<>|!=|\S")
_CLOSED_STRING = re.compile(r"'(?:[^']|'')*'")

COMPONENT_AFTER = ("of", "history", "compare", "with")
POINTER_AFTER = ("trace", "forward", "inspect", "flag")
COLUMN_AFTER = ("where", "and", "or", "not", "select", "by", "aggregate", "(")
# Clauses whose items are separated by commas: the item after a comma is of the clause's kind.
LIST_CLAUSES = {"metric": "metric", "select": "column", "by": "column", "aggregate": "column"}
PIPE_WORDS = ("where", "select", "order", "group", "limit", "rank")
NEXT_WORDS = {
    "order": ("by",), "group": ("by",), "rank": ("runs",), "inspect": ("run",), "trace": ("forward", "outputs"),
    "outputs": ("of",), "unflag": ("all",), "is": ("not", "null", "empty"), "every": TIME_UNITS,
}

RUN_COLUMNS = ("run_id", "component", "start_time", "end_time", "duration_s", "status", "stale", "stale_reasons",
               "error", "notes", "git_commit", "host")
RANK_COLUMNS = ("rank", "run_id", "component", "start_time", "outputs", "coverage", "stale", "stale_reasons")
# The columns a pipe sees after each statement, and (keys ending in " where") the columns its own where-condition
# sees where those differ (docs/oql.md). A test runs a condition on every one of them, so they stay true.
COLUMNS = {
    "runs": RUN_COLUMNS,
    "recent": RUN_COLUMNS,
    "stale": ("run_id", "component", "start_time", "status", "reasons"),
    "components": ("component", "description", "owner", "tags", "runs", "failed", "stale", "first_run", "last_run"),
    "trace": ("depth", "component", "run_id", "start_time", "end_time", "status", "stale", "stale_reasons", "via",
              "parent_run_id", "repeated"),
    "outputs": ("pointer", "value", "depth", "run_id", "component", "start_time", "stale"),
    "outputs where": ("pointer", "value", "label", "run_id", "start_time", "end_time", "pointer_type"),
    "rank": RANK_COLUMNS,
    "review": RANK_COLUMNS,
    "inspect": ("section", "field", "value", "detail"),
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

    kind: str  # keyword, component, metric, column, pointer, flagged, command, argument, path or nothing
    prefix: str = ""
    words: tuple[str, ...] = ()  # the candidates of a keyword, command or argument context
    component: str | None = None  # for metric (and history columns): the component named after `history`
    source: str = ""  # for column: the key of COLUMNS whose columns fit
    piped: tuple[str, ...] | None = None  # for column: what an earlier select or group by pipe left instead


NOTHING = Context("nothing")


def completion_context(text: str) -> Context:
    """The context at the end of `text`, the text before the cursor."""
    if text.lstrip().startswith("."):
        return _dot_context(text)
    statement = _current_statement(_TOKENS.findall(text))
    if statement and statement[-1].startswith("#"):
        return NOTHING
    if statement and statement[-1].startswith("'") and not _CLOSED_STRING.fullmatch(statement[-1]):
        return _quoted_context(statement)
    word = re.search(_WORD + "$", text)
    prefix = word.group(0) if word and statement and statement[-1] == word.group(0) else ""
    before = [t.lower() if re.fullmatch(_WORD, t) else t for t in (statement[:-1] if prefix else statement)]
    return _word_context(before, prefix)


def _current_statement(tokens: list[str]) -> list[str]:
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
    return Context("pointer", prefix) if previous in POINTER_AFTER else NOTHING


def _word_context(before: list[str], prefix: str) -> Context:
    if not before:
        return Context("keyword", prefix, STATEMENT_KEYWORDS + LEAVE_WORDS)
    previous = before[-1]
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
    fitting = next_keywords(" ".join(t for t in before if not t.startswith("#")))
    after_number = re.fullmatch(_NUMBER, previous)
    if fitting is None:  # not OQL as far as the cursor: offer what usually fits
        fitting = TIME_UNITS if after_number else KEYWORDS
    if after_number and previous != "1":
        fitting = tuple(word + "s" if word in TIME_UNITS else word for word in fitting)
    return Context("keyword", prefix, fitting)


def _clause(before: list[str]) -> str | None:
    """The last clause word that takes a list (metric, select, by, aggregate), if it still governs the cursor."""
    for token in reversed(before):
        if token in LIST_CLAUSES:
            return token
        if token in ("|", "where", "every", "since", "until", "between", "on", "with"):
            return None
    return None


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


def _item_names(tokens: list[str]) -> tuple[str, ...]:
    """The names of comma-separated select items: an item's alias, or the item itself when it is a bare name."""
    names = []
    for item in _split(tokens, ","):
        if len(item) >= 2 and item[-2] == "as":
            names.append(item[-1].strip('"'))
        elif len(item) == 1 and re.fullmatch(_WORD, item[0]):
            names.append(item[0])
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
            if context.kind in ("pointer", "flagged"):
                yield Completion(word.replace("'", "''") + "'", -len(context.prefix.replace("'", "''")),
                                 display=word)
            else:
                yield Completion(word, -len(context.prefix))

    def candidates(self, context: Context) -> list[str]:
        """The words that fit `context` and start with its prefix (in any case)."""
        if context.kind == "pointer":
            return self.names.pointers(context.prefix)  # the store filters them by prefix
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
        if context.kind == "flagged":
            return self.names.flagged()
        return ()
