"""The OQL syntax tree: small dataclasses, each carrying the line and column where it starts.

The parser builds these from text; the compiler turns each kind into SQL. Positions do not take part in equality, so
tests can compare trees built by hand with parsed ones. Nodes are not changed once built, but they are not declared
frozen: freezing makes each of the forty classes generate three more methods at import, 8 ms of `obsql -c`'s start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Union


class Name(str):
    """A name (a component's) that remembers where it was written; equal to the plain string."""

    line: int
    column: int

    def __new__(cls, text: str, line: int = 0, column: int = 0) -> "Name":
        name = super().__new__(cls, text)
        name.line, name.column = line, column
        return name


@dataclass
class Node:
    line: int = field(default=0, compare=False, kw_only=True, repr=False)
    column: int = field(default=0, compare=False, kw_only=True, repr=False)


# -- expressions --------------------------------------------------------------------------------------------------
@dataclass
class Column(Node):
    name: str


@dataclass
class Literal(Node):
    value: str | int | float | bool | None


@dataclass
class Star(Node):
    """`*`, as in `count(*)` or `drift(*)`; `drift(* except id, uuid)` leaves columns out."""

    exclude: tuple[str, ...] = ()


@dataclass
class Interval(Node):
    amount: float
    unit: str  # second, minute, hour, day, week, month, year (singular)


@dataclass
class TimePoint(Node):
    """`@2020-03-15`, `@2020-03-15T10:00` (absolute), `7 days ago` (ago) or `now`."""

    kind: str  # 'absolute', 'ago' or 'now'
    at: datetime | None = None
    ago: Interval | None = None


@dataclass
class Call(Node):
    """A function or aggregate call: `count(*)`, `avg(value)`, `null_frac(fare)`, `drift(*)`."""

    name: str
    args: tuple[Expr, ...] = ()
    distinct: bool = False


@dataclass
class Binary(Node):
    """`left op right`; op is one of: or and = != < <= > >= + - * / like ilike."""

    op: str
    left: Expr
    right: Expr


@dataclass
class Unary(Node):
    op: str  # 'not' or '-'
    operand: Expr


@dataclass
class InList(Node):
    expr: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass
class Between(Node):
    expr: Expr
    low: Expr
    high: Expr
    negated: bool = False


@dataclass
class IsNull(Node):
    expr: Expr
    negated: bool = False


Expr = Union[Column, Literal, Star, TimePoint, Interval, Call, Binary, Unary, InList, Between, IsNull]


@dataclass
class TimeRange(Node):
    """`since t`, `until t`, or `between t1 and t2`: runs whose start falls in [start, end)."""

    start: TimePoint | None = None
    end: TimePoint | None = None


# -- statements ---------------------------------------------------------------------------------------------------
@dataclass
class Runs(Node):
    """`runs [of <component>] [where <cond>] [since <time>]`"""

    component: str | None = None
    where: Expr | None = None
    time: TimeRange | None = None


@dataclass
class Recent(Node):
    """`recent [n]`: the latest runs of every component."""

    limit: int | None = None


@dataclass
class Components(Node):
    """`components [where <cond>]`: every component with its metadata and run counts."""

    where: Expr | None = None


@dataclass
class Tags(Node):
    """`tags`: every tag in use, with the components that carry it."""


@dataclass
class InspectRun(Node):
    """`inspect run '<id or unique prefix>'`: one run as a card."""

    run_id: str


@dataclass
class InspectPointer(Node):
    """`inspect '<pointer>'`: a pointer, who wrote and read it, its flag, its summaries."""

    pointer: str


@dataclass
class History(Node):
    """`history <component> [metric m, ...] [since t] [every <interval>]`"""

    component: str
    metrics: tuple[Expr, ...] = ()
    time: TimeRange | None = None
    every: Interval | None = None


@dataclass
class Trace(Node):
    """`trace '<pointer>' [depth n]` (upstream) or `trace forward '<pointer>'` (everything derived from it)."""

    pointer: str
    forward: bool = False
    depth: int | None = None


@dataclass
class SliceTrace(Node):
    """`trace outputs of <component> [where <cond>] [since t]`: the traces of a slice of outputs (with `| rank runs`)."""

    component: str
    where: Expr | None = None
    time: TimeRange | None = None


@dataclass
class Stale(Node):
    """`stale [of <component>] [since t]`: stale runs and why."""

    component: str | None = None
    time: TimeRange | None = None


@dataclass
class Alerts(Node):
    """`alerts [all] [of <component>] [since t]`: SLA violations still open (the latest evaluation still violates),
    or with `all` every violation episode, resolved ones too, with its end, duration and worst value."""

    component: str | None = None
    time: TimeRange | None = None
    every_episode: bool = False


@dataclass
class Flag(Node):
    """`flag 'a', 'b'` or `flag outputs of <component> [where <cond>] [<time range>]`: one write for all."""

    pointers: tuple[str, ...] = ()
    outputs: "SliceTrace | None" = None


@dataclass
class Unflag(Node):
    """`unflag 'a', 'b'`, `unflag outputs of ...` (as `flag`), or `unflag all` (no pointers, no outputs)."""

    pointers: tuple[str, ...] = ()
    outputs: "SliceTrace | None" = None


@dataclass
class Tag(Node):
    """`tag <component> 'a', 'b'` (`tagged`) or `untag <component> 'a'`: tags changed after the fact."""

    component: str
    tags: tuple[str, ...]
    tagged: bool = True


@dataclass
class Note(Node):
    """`note run '<id or unique prefix>' '<text>'`: a note on a run, kept with its time beside earlier ones."""

    run_id: str
    text: str


@dataclass
class Review(Node):
    """`review`: the runs most common to the traces of all flagged outputs."""


@dataclass
class Diagnose(Node):
    """`diagnose <component> [where <cond>] <time range>`: the upstream runs most likely to explain the component's
    outputs in the time range (those meeting the condition), with the evidence against each."""

    component: str
    where: Expr | None
    time: TimeRange


@dataclass
class Side(Node):
    """One side of `compare`: a component's runs, optionally filtered."""

    component: str
    where: Expr | None = None
    time: TimeRange | None = None


@dataclass
class Compare(Node):
    """`compare <side> with <side> [on <columns or drift(*)>]`"""

    left: Side
    right: Side
    on: tuple[Expr, ...] = ()


@dataclass
class Sql(Node):
    """`sql <select ...>`: read-only SQL over the store's tables."""

    text: str


# -- pipes --------------------------------------------------------------------------------------------------------
@dataclass
class SelectItem(Node):
    expr: Expr
    alias: str | None = None


@dataclass
class OrderItem(Node):
    expr: Expr
    descending: bool = False


@dataclass
class Where(Node):
    condition: Expr


@dataclass
class Select(Node):
    items: tuple[SelectItem, ...]


@dataclass
class OrderBy(Node):
    items: tuple[OrderItem, ...]


@dataclass
class Limit(Node):
    count: int


@dataclass
class GroupBy(Node):
    """`| group by k1, k2 [aggregate count(*) as n, avg(x)]`; without `aggregate`, a count per group."""

    keys: tuple[SelectItem, ...]
    aggregates: tuple[SelectItem, ...] = ()


@dataclass
class RankRuns(Node):
    """`| rank runs [against <cond>]`: runs ordered by how over-represented they are in the traced outputs' traces,
    against all outputs of the component over the same time (or those meeting `against`)."""

    against: Expr | None = None


Pipe = Union[Where, Select, OrderBy, Limit, GroupBy, RankRuns]
Source = Union[Runs, Recent, Components, Tags, InspectRun, InspectPointer, History, Trace, SliceTrace, Stale, Alerts,
               Review, Diagnose, Compare, Sql]


@dataclass
class Query(Node):
    """A source statement refined by pipes."""

    source: Source
    pipes: tuple[Pipe, ...] = ()


@dataclass
class Expect(Node):
    """`expect <query> is empty`, `... is not empty`, or `expect <query> | <condition over aggregates>`."""

    query: Query
    kind: str  # 'empty', 'not_empty' or 'condition'
    condition: Expr | None = None


Statement = Union[Query, Expect, Flag, Unflag, Tag, Note]


@dataclass
class Script(Node):
    """A whole OQL text: statements separated by `;`, each with its source text for error messages."""

    statements: tuple[Statement, ...]
    texts: tuple[str, ...] = field(default=(), compare=False)
