"""Pipes: `| where`, `| select`, `| order by`, `| limit`, `| group by` refine any result.

Each pipe adds a clause to the current SELECT when SQL allows it there (so `| order by x | limit 5` stays one
SELECT with its ORDER BY and LIMIT together), and otherwise wraps what came before as a subquery.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from obsql.compiler.plans import RESULT_RELATION
from obsql.compiler.sql import SqlWriter, has_aggregate, ident
from obsql.errors import ObsqlError
from obsql.grammar import ast


@dataclass
class _Stage:
    source: str
    select: list[str] = field(default_factory=lambda: ["*"])
    where: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    order_by: list[str] = field(default_factory=list)
    limit: int | None = None

    @property
    def plain(self) -> bool:
        return self.select == ["*"] and not (self.group_by or self.order_by or self.limit is not None)

    def sql(self) -> str:
        parts = [f"SELECT {', '.join(self.select)} FROM {self.source}"]
        if self.where:
            parts.append("WHERE " + " AND ".join(self.where))
        if self.group_by:
            parts.append("GROUP BY " + ", ".join(self.group_by))
        if self.order_by:
            parts.append("ORDER BY " + ", ".join(self.order_by))
        if self.limit is not None:
            parts.append(f"LIMIT {self.limit}")
        return " ".join(parts)


class _Pipeline:
    def __init__(self, relation: str, writer: SqlWriter) -> None:
        self.writer = writer
        self.stage = _Stage(relation)
        self.depth = 0

    def wrap(self) -> _Stage:
        self.depth += 1
        self.stage = _Stage(f"({self.stage.sql()}) AS q{self.depth}")
        return self.stage


def _aliased(w: SqlWriter, item: ast.SelectItem) -> str:
    """A select item, named by its alias, or by its own text when it is more than a plain column."""
    sql = w.expr(item.expr)
    if item.alias:
        return f"{sql} AS {ident(item.alias)}"
    if isinstance(item.expr, (ast.Column, ast.Star)):
        return sql
    return f"{sql} AS {ident(describe(item.expr))}"


def _where(p: _Pipeline, pipe: ast.Where) -> None:
    stage = p.stage if p.stage.plain else p.wrap()
    stage.where.append(p.writer.expr(pipe.condition))


def _select(p: _Pipeline, pipe: ast.Select) -> None:
    stage = p.stage if p.stage.plain else p.wrap()
    stage.select = [_aliased(p.writer, item) for item in pipe.items]


def _order_by(p: _Pipeline, pipe: ast.OrderBy) -> None:
    stage = p.stage if p.stage.limit is None else p.wrap()
    stage.order_by = [p.writer.expr(i.expr) + (" DESC" if i.descending else " ASC") for i in pipe.items]


def _limit(p: _Pipeline, pipe: ast.Limit) -> None:
    if pipe.count < 0:
        raise ObsqlError("input", "limit must not be negative", line=pipe.line, column=pipe.column)
    current = p.stage.limit
    p.stage.limit = pipe.count if current is None else min(current, pipe.count)


def _group_by(p: _Pipeline, pipe: ast.GroupBy) -> None:
    stage = p.stage if p.stage.plain else p.wrap()
    keys = [_aliased(p.writer, key) for key in pipe.keys]
    aggregates = [_aliased(p.writer, a) for a in pipe.aggregates] or ['count(*) AS "count"']
    for item in pipe.aggregates:
        if not has_aggregate(item.expr):
            raise ObsqlError("input", f"'{describe(item.expr)}' is not an aggregate (count, sum, avg, min, max, ...)",
                             line=item.line, column=item.column)
    stage.select = keys + aggregates
    stage.group_by = [p.writer.expr(key.expr) for key in pipe.keys]


def _rank_runs(p: _Pipeline, pipe: ast.RankRuns) -> None:
    raise ObsqlError("input", "'| rank runs' ranks the runs of traces: put it right after `trace outputs of ...`",
                     line=pipe.line, column=pipe.column, suggestion="trace outputs of inference | rank runs")


_PIPES: dict[type, Callable[[_Pipeline, object], None]] = {
    ast.Where: _where, ast.Select: _select, ast.OrderBy: _order_by, ast.Limit: _limit, ast.GroupBy: _group_by,
    ast.RankRuns: _rank_runs,
}


def apply_pipes(relation: str, pipes: tuple[ast.Pipe, ...], writer: SqlWriter) -> str:
    """A SELECT over `relation` (a table name or a parenthesised subquery with alias) refined by `pipes`."""
    pipeline = _Pipeline(relation, writer)
    for pipe in pipes:
        _PIPES[type(pipe)](pipeline, pipe)
    return pipeline.stage.sql()


def pipes_over_result(w: SqlWriter, pipes: tuple[ast.Pipe, ...]) -> str | None:
    """The pipes of a statement the engine builds in steps, as a SELECT over its rows (None when there are none)."""
    return apply_pipes(RESULT_RELATION, pipes, w) if pipes else None


def describe(node: ast.Expr) -> str:
    """A short text for an expression, used to name result columns (`avg(value)`, `null_frac(fare)`)."""
    if isinstance(node, ast.Column):
        return node.name
    if isinstance(node, ast.Star):
        return f"* except {', '.join(node.exclude)}" if node.exclude else "*"
    if isinstance(node, ast.Literal):
        return repr(node.value) if isinstance(node.value, str) else str(node.value).lower()
    if isinstance(node, ast.Call):
        inner = ", ".join(describe(a) for a in node.args)
        return f"{node.name.lower()}({'distinct ' if node.distinct else ''}{inner})"
    if isinstance(node, ast.Binary):
        return f"{describe(node.left)} {node.op.lower()} {describe(node.right)}"
    if isinstance(node, ast.Unary):
        return f"{node.op} {describe(node.operand)}"
    return type(node).__name__.lower()
