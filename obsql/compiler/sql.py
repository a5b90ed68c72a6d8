"""Writing SQL safely: quoted identifiers, bound parameters, and one function per expression node kind.

Every value a user typed becomes a named parameter (`$p1`, `$p2`, ...) bound at execution; identifiers are always
double-quoted. The SQL kept to a conservative, portable subset (plain SELECT, joins, GROUP BY, window functions,
standard aggregates) so that sqlglot can transpile it for Spark; the golden tests prove it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

from obsql.compiler.timeexpr import SECONDS, checked, resolve_time
from obsql.errors import ObsqlError
from obsql.grammar import ast

COMPARISONS = {"=", "!=", "<>", "<", "<=", ">", ">="}
ARITHMETIC = {"+", "-", "*", "/"}
LOGICAL = {"and", "or"}
PATTERNS = {"like", "ilike"}


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def where_clause(conditions: list[str]) -> str:
    """` WHERE a AND b`, or nothing when there are no conditions."""
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def latest(source: str, columns: str, key: str | None, order: str = "ts DESC", where: str = "") -> str:
    """The rows of `source` that are the newest of their `key` (all rows one key when None): the latest event wins.

    Event tables (flags, labels, component declarations, alerts) and versioned pointers are read this way. A
    window, not ORDER BY ... LIMIT 1, which DuckDB answers with a second pass over the file."""
    partition = f"PARTITION BY {key} " if key else ""
    condition = f" WHERE {where}" if where else ""
    return (f"SELECT {columns} FROM (SELECT {columns}, row_number() OVER ({partition}ORDER BY {order}) AS newest "
            f"FROM {source}{condition}) AS latest WHERE newest = 1")


def pooled_mean(partition: str) -> str:
    """The mean of summaries' means weighted by their counts, over a window partitioned by `partition`."""
    return (f"sum(mean * count) OVER (PARTITION BY {partition}) / "
            f"nullif(sum(count) OVER (PARTITION BY {partition}), 0)")


# The spread of pooled summaries, from rows carrying `pooled_mean`: about the pooled mean, since the textbook sum of
# squares less the squared mean loses every digit when the spread is tiny beside the mean (a column gone constant).
POOLED_STD = "sqrt(sum(count * (coalesce(std * std, 0) + power(mean - pooled_mean, 2))) / nullif(sum(count), 0))"


@dataclass
class SqlWriter:
    """Collects the parameters of one compiled statement; `now` pins relative times for the whole statement."""

    now: datetime
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, value: Any) -> str:
        """A placeholder bound to `value`."""
        name = f"p{len(self.params) + 1}"
        self.params[name] = value
        return f"${name}"

    def expr(self, node: ast.Expr) -> str:
        """The SQL of an OQL expression."""
        return _EXPRESSIONS[type(node)](self, node)


def _column(w: SqlWriter, node: ast.Column) -> str:
    return ident(node.name)


def _literal(w: SqlWriter, node: ast.Literal) -> str:
    if node.value is None:
        return "NULL"
    if isinstance(node.value, bool):
        return "TRUE" if node.value else "FALSE"
    return w.param(node.value)


def _star(w: SqlWriter, node: ast.Star) -> str:
    if node.exclude:
        raise ObsqlError("input", "'* except ...' leaves columns out of drift(...) and adversarial(...) only",
                         line=node.line, column=node.column, suggestion="compare a with b on drift(* except id)")
    return "*"


def _time_point(w: SqlWriter, node: ast.TimePoint) -> str:
    return f"CAST({w.param(resolve_time(node, w.now))} AS TIMESTAMPTZ)"


def _interval(w: SqlWriter, node: ast.Interval) -> str:
    return interval_sql(w, node)


def interval_sql(w: SqlWriter, node: ast.Interval) -> str:
    """An INTERVAL literal in standard form (Spark reads it too). The amount is a number the parser read, printed
    as a whole number of seconds or months, so no text a person typed reaches the SQL."""
    checked(node)
    if node.unit in ("month", "year"):
        months = node.amount * (12 if node.unit == "year" else 1)
        if months != int(months):
            raise ObsqlError("input", f"a {node.unit} interval must be a whole number",
                             line=node.line, column=node.column)
        return f"INTERVAL '{int(months)}' MONTH"
    seconds = node.amount * SECONDS[node.unit]
    if seconds == int(seconds):
        return f"INTERVAL '{int(seconds)}' SECOND"
    return f"INTERVAL '{int(round(seconds * 1_000_000))}' MICROSECOND"


def _binary(w: SqlWriter, node: ast.Binary) -> str:
    op = node.op.lower()
    left, right = w.expr(node.left), w.expr(node.right)
    if op in LOGICAL:
        return f"({left} {op.upper()} {right})"
    if op in PATTERNS:
        return f"({left} {op.upper()} {right})"
    if op in COMPARISONS or op in ARITHMETIC:
        return f"({left} {'<>' if op == '!=' else op} {right})"
    raise ObsqlError("syntax", f"unknown operator {node.op!r}", line=node.line, column=node.column)


def _unary(w: SqlWriter, node: ast.Unary) -> str:
    operand = w.expr(node.operand)
    return f"(NOT {operand})" if node.op == "not" else f"(-{operand})"


def _in_list(w: SqlWriter, node: ast.InList) -> str:
    items = ", ".join(w.expr(item) for item in node.items)
    return f"({w.expr(node.expr)} {'NOT IN' if node.negated else 'IN'} ({items}))"


def _between(w: SqlWriter, node: ast.Between) -> str:
    keyword = "NOT BETWEEN" if node.negated else "BETWEEN"
    return f"({w.expr(node.expr)} {keyword} {w.expr(node.low)} AND {w.expr(node.high)})"


def _is_null(w: SqlWriter, node: ast.IsNull) -> str:
    return f"({w.expr(node.expr)} IS {'NOT ' if node.negated else ''}NULL)"


def _call(w: SqlWriter, node: ast.Call) -> str:
    name = node.name.lower()
    special = _FUNCTIONS.get(name)
    if special is not None:
        return special(w, node)
    args = ", ".join(w.expr(a) for a in node.args)
    return f"{_function_name(node)}({'DISTINCT ' if node.distinct else ''}{args})"


def _function_name(node: ast.Call) -> str:
    if not node.name.replace("_", "").isalnum():
        raise ObsqlError("syntax", f"{node.name!r} is not a function name", line=node.line, column=node.column)
    return node.name.lower()


def _one_argument(node: ast.Call) -> ast.Expr:
    if len(node.args) != 1:
        raise ObsqlError("input", f"{node.name}() takes one argument", line=node.line, column=node.column)
    return node.args[0]


def _null_frac(w: SqlWriter, node: ast.Call) -> str:
    arg = w.expr(_one_argument(node))
    return f"avg(CASE WHEN {arg} IS NULL THEN 1.0 ELSE 0.0 END)"


def _quantile(w: SqlWriter, node: ast.Call) -> str:
    if len(node.args) != 2:
        raise ObsqlError("input", "quantile() takes a column and a fraction, e.g. quantile(value, 0.9)",
                         line=node.line, column=node.column)
    return f"quantile_cont({w.expr(node.args[0])}, {w.expr(node.args[1])})"


def _median(w: SqlWriter, node: ast.Call) -> str:
    return f"quantile_cont({w.expr(_one_argument(node))}, 0.5)"


_FUNCTIONS: dict[str, Callable[[SqlWriter, ast.Call], str]] = {
    "null_frac": _null_frac,
    "quantile": _quantile,
    "median": _median,
}

_EXPRESSIONS: dict[type, Callable[[SqlWriter, Any], str]] = {
    ast.Column: _column,
    ast.Literal: _literal,
    ast.Star: _star,
    ast.TimePoint: _time_point,
    ast.Interval: _interval,
    ast.Binary: _binary,
    ast.Unary: _unary,
    ast.InList: _in_list,
    ast.Between: _between,
    ast.IsNull: _is_null,
    ast.Call: _call,
}


def walk(node: ast.Node) -> Iterator[ast.Node]:
    """A node and every node below it, depth first."""
    yield node
    for value in vars(node).values():
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, ast.Node):
                yield from walk(child)


AGGREGATES = {"count", "sum", "avg", "mean", "min", "max", "median", "quantile", "null_frac", "stddev",
              "stddev_samp", "var_samp", "any_value", "count_if", "bool_and", "bool_or", "first", "last", "mode",
              "list", "string_agg", "approx_count_distinct"}


def has_aggregate(node: ast.Expr) -> bool:
    """Whether an expression aggregates rows (so it belongs in a GROUP BY's select list)."""
    return any(isinstance(n, ast.Call) and n.name.lower() in AGGREGATES for n in walk(node))
