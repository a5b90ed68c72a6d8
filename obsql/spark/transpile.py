"""DuckDB SQL -> Spark SQL: sqlglot's transpiler, plus rewrites where it gets a construct wrong for obsql's SQL.

The compiler writes DuckDB SQL; this module turns one text into Spark SQL once (cached per text) and says which
files it reads. Parameters stay parameters: DuckDB's `$name` becomes Spark's `:name`, bound by `spark.sql(args=)`.
Each rewrite below fixes one construct sqlglot writes out wrongly or not at all (tests/spark/test_transpile.py
has a case for each):

- `read_parquet([...], hive_partitioning = true, ...)`: Spark has no such table function; the call becomes a
  temp view over those files (`FileRelation`), which the reader registers, with the store's column types;
- `SELECT * REPLACE (CASE component ... END AS component) FROM read_parquet(...)`, the long component names of
  `read_parquet_sql`: dropped, since the file relation maps them itself;
- `list(x ORDER BY k)`: sqlglot drops the order; written as a sort of (k, x) pairs, keeping nulls as DuckDB does;
- `len(l)` of a list: sqlglot writes `length`, Spark's length of a string; it is `size`;
- `l[a:b]`, `list_slice(l, a, b)`: DuckDB's 1-based inclusive slice, which sqlglot copies as is, is `slice`;
- `a / 1000.0`: DuckDB's quotient of decimals is a DOUBLE, Spark's a DECIMAL; the dividend is made a DOUBLE;
- `avg(... 1.0 ...)`: the same for a mean of decimals;
- `list_avg(l)`: the mean of a list, by `aggregate`;
- `md5_number_lower(x)`, `md5_number_upper(x)`: DuckDB's numbers from the MD5's halves, rebuilt from `md5`;
- `USING SAMPLE reservoir(n ROWS) REPEATABLE (s)`: Spark's TABLESAMPLE takes the first rows; the n rows first by
  a hash (the same rows as DuckDB's whenever there are at most n, as in every ranking's baseline below 50,000);
- `quantile_cont(x, q)`: Spark's exact `percentile` (the same linear interpolation);
- `x IN (SELECT unnest($list))`, the walks' semi-join for a long list (`walks.Steps`): Spark would plan the bound
  list as a literal array of thousands of values (seconds per query); it reads a one-column temp view of them
  instead (`list_view`, registered by the reader from the bound values), which Spark joins by broadcast.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

from obsql.errors import ObsqlError
from obsql.storage.schemas import TABLES

LIST_COLUMNS = frozenset(name for spec in TABLES.values() for name, kind in spec.fields if kind.endswith("[]"))

FILES_PREFIX = "__files_"  # the temp views of file relations: __files_<hash of the listing>
LIST_PREFIX = "__list_"  # the temp views of bound lists a semi-join reads: __list_<parameter>


@dataclass(frozen=True)
class FileRelation:
    """Files a query reads directly: a store table's (Hive-partitioned) or a lineage index file."""

    name: str  # the temp view the Spark SQL reads them by
    paths: tuple[str, ...]
    hive: bool  # store files, partitioned by directory (component=..., date=...)


@dataclass(frozen=True)
class SparkSql:
    """One DuckDB text as Spark SQL, the file relations it reads, and the parameters it reads as temp views."""

    text: str
    relations: tuple[FileRelation, ...]
    lists: tuple[str, ...] = ()  # each bound list read as the temp view `list_view(name)`


@lru_cache(maxsize=2048)
def to_spark(sql: str) -> SparkSql:
    """`sql` (DuckDB) as Spark SQL; an `ObsqlError` when sqlglot cannot parse or write it."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ObsqlError("sql", f"this SQL does not reach Spark: {first_line(str(exc))}") from None
    relations: dict[str, FileRelation] = {}
    lists: dict[str, None] = {}
    tree = tree.transform(lambda node: _file_relation(node, relations))
    tree = tree.transform(lambda node: _listed_parameter(node, lists))
    for rewrite in (_long_names_dropped, *REWRITES):
        tree = tree.transform(rewrite)
    try:
        text = tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise ObsqlError("sql", f"this SQL does not reach Spark: {first_line(str(exc))}") from None
    return SparkSql(text, tuple(relations.values()), tuple(lists))


def list_view(parameter: str) -> str:
    """The temp view (one column, `value`) a bound list is read from."""
    return f"{LIST_PREFIX}{parameter}"


def _file_relation(node: exp.Expression, relations: dict[str, FileRelation]) -> exp.Expression:
    """A `read_parquet(...)` table as the temp view of its files."""
    if isinstance(node, exp.Table) and isinstance(node.this, exp.ReadParquet):
        relation = _relation_of(node.this)
        relations[relation.name] = relation
        table = exp.to_table(relation.name)
        if node.alias:
            table.set("alias", node.args["alias"])
        return table
    return node


def _listed_parameter(node: exp.Expression, lists: dict[str, None]) -> exp.Expression:
    """`SELECT unnest($p)` (a subquery of `x IN (...)`) as `SELECT value FROM __list_p`."""
    if not (isinstance(node, exp.Select) and len(node.expressions) == 1 and not _source_of(node)
            and isinstance(node.parent, exp.Subquery) and isinstance(node.parent.parent, exp.In)):
        return node
    (listed,) = node.expressions
    if isinstance(listed, (exp.Explode, exp.Unnest)) and isinstance(listed.this, exp.Placeholder):
        lists[listed.this.name] = None
        return exp.select("value").from_(list_view(listed.this.name))
    return node


def _long_names_dropped(node: exp.Expression) -> exp.Expression:
    """The `* REPLACE` a SELECT straight over files puts long component names back with: the relation does it."""
    if isinstance(node, exp.Select) and _reads_files(node):
        for star in node.expressions:
            if isinstance(star, exp.Star):
                star.set("replace", None)
    return node


def _relation_of(call: exp.ReadParquet) -> FileRelation:
    listing, *options = call.expressions
    literals = listing.expressions if isinstance(listing, exp.Array) else [listing]
    paths = tuple(literal.this for literal in literals)
    hive = any(isinstance(o, exp.EQ) and o.this.name == "hive_partitioning" and o.expression.this is True
               for o in options)
    digest = hashlib.sha1("\0".join((str(hive), *paths)).encode()).hexdigest()[:16]
    return FileRelation(f"{FILES_PREFIX}{digest}", paths, hive)


def _source_of(select: exp.Select) -> exp.From | None:
    return select.args.get("from_") or select.args.get("from")


def _reads_files(select: exp.Select) -> bool:
    source = _source_of(select)
    return source is not None and isinstance(source.this, exp.Table) and source.this.name.startswith(FILES_PREFIX)


def _ordered_list(node: exp.Expression) -> exp.Expression:
    """`list(x ORDER BY k1, k2) [FILTER (WHERE c)]` ->
    `transform(sort_array(collect_list(struct(k1, k2, x)) [FILTER (WHERE c)], asc), e -> e.v)`."""
    aggregate = node.this if isinstance(node, exp.Filter) else node
    if not (isinstance(aggregate, exp.ArrayAgg) and isinstance(aggregate.this, exp.Order)):
        return node
    order = aggregate.this
    keys = order.expressions
    descending = {bool(key.args.get("desc")) for key in keys}
    if len(descending) > 1:
        raise ObsqlError("sql", "this SQL does not reach Spark: list(... ORDER BY) with mixed directions")
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=key.this) for i, key in enumerate(keys)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=order.this))
    pairs = exp.func("collect_list", exp.Struct(expressions=fields))
    if isinstance(node, exp.Filter):
        pairs = exp.Filter(this=pairs, expression=node.expression)
    ascending = exp.Boolean(this=not descending.pop())
    sorted_pairs = exp.func("sort_array", pairs, ascending)
    value = exp.Lambda(this=exp.column("v", table="e"), expressions=[exp.to_identifier("e")])
    return exp.func("transform", sorted_pairs, value)


def _list_length(node: exp.Expression) -> exp.Expression:
    """DuckDB's `len(l)` of a list as `size(l)` (sqlglot writes `length`, which Spark takes for strings only).

    Without types, a list is recognised by name: a list column of the store, or a name the query gives a list."""
    if not (isinstance(node, exp.Length) and isinstance(node.this, exp.Column)):
        return node
    if node.this.name in LIST_COLUMNS | _list_aliases(node.root()):
        return exp.func("size", node.this)
    return node


def _list_aliases(tree: exp.Expression) -> set[str]:
    """The names a query gives to lists it builds (`coalesce(stale_reasons, []) AS own`, `list(x) AS xs`)."""
    return {alias.alias for alias in tree.find_all(exp.Alias) if _is_list(alias.this)}


def _is_list(node: exp.Expression) -> bool:
    if isinstance(node, exp.Coalesce):
        return _is_list(node.this) or any(_is_list(e) for e in node.expressions)
    if isinstance(node, exp.Column):
        return node.name in LIST_COLUMNS
    return isinstance(node, (exp.Array, exp.ArrayAgg, exp.ArrayConcat))


def _slice(node: exp.Expression) -> exp.Expression:
    """DuckDB's `l[a:b]` and `list_slice(l, a, b)` (1-based, both ends in) as `slice(l, a, b - a + 1)`."""
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice):
        bounds = node.expressions[0]
        return _spark_slice(node.this, bounds.this, bounds.expression)
    if _is_call(node, "list_slice") and len(node.expressions) == 3:
        return _spark_slice(*node.expressions)
    return node


def _spark_slice(listed: exp.Expression, start: exp.Expression | None, end: exp.Expression | None) -> exp.Expression:
    start = start or exp.Literal.number(1)
    end = end or exp.func("size", listed.copy())
    length = exp.Add(this=exp.Sub(this=end, expression=start.copy()), expression=exp.Literal.number(1))
    return exp.func("slice", listed, start, exp.Paren(this=length))


def _division(node: exp.Expression) -> exp.Expression:
    """`a / 1000.0`: DuckDB divides decimals to a DOUBLE, Spark to a DECIMAL (Decimal('0.001000') for 0.001)."""
    if isinstance(node, exp.Div) and any(_is_decimal_literal(side) for side in (node.this, node.expression)):
        node.set("this", exp.cast(node.this, "DOUBLE"))
    return node


def _mean(node: exp.Expression) -> exp.Expression:
    """`avg(CASE ... THEN 1.0 ELSE 0.0 END)`: DuckDB's mean of decimals is a DOUBLE, Spark's a DECIMAL."""
    if isinstance(node, exp.Avg) and any(_is_decimal_literal(n) for n in node.this.find_all(exp.Literal)):
        node.set("this", exp.cast(node.this, "DOUBLE"))
    return node


def _is_decimal_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and "." in node.this


def _list_avg(node: exp.Expression) -> exp.Expression:
    """`list_avg(l)`: the mean of the list's non-null values, null when there are none (DuckDB's)."""
    if not _is_call(node, "list_avg"):
        return node
    (listed,) = node.expressions
    values = sqlglot.parse_one("filter(l, x -> x IS NOT NULL)", read="spark")
    values.set("this", listed)
    total = sqlglot.parse_one("aggregate(v, CAST(0 AS DOUBLE), (s, x) -> s + x)", read="spark")
    total.set("this", values)
    count = exp.func("size", values.copy())
    return exp.func("try_divide", total, exp.func("nullif", count, exp.Literal.number(0)))


def _md5_number(node: exp.Expression) -> exp.Expression:
    """DuckDB's `md5_number_lower(x)` and `md5_number_upper(x)`: bytes 8..15 (or 0..7) of the MD5 of x read as a
    little-endian unsigned 64-bit number, rebuilt from `md5`'s hex digits (a DECIMAL(20, 0): Spark has no UBIGINT)."""
    halves = {"md5_number_lower": 17, "md5_number_upper": 1}
    name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
    if name not in halves:
        return node
    (value,) = node.expressions
    digest = exp.func("md5", exp.cast(value, "STRING"))
    pairs = [exp.func("substring", digest.copy(), exp.Literal.number(halves[name] + 2 * i), exp.Literal.number(2))
             for i in reversed(range(8))]
    hex_number = exp.func("conv", exp.func("concat", *pairs), exp.Literal.number(16), exp.Literal.number(10))
    return exp.cast(hex_number, "DECIMAL(20, 0)")


def _reservoir_sample(node: exp.Expression) -> exp.Expression:
    """`SELECT cols FROM ... USING SAMPLE reservoir(n ROWS) REPEATABLE (s)` as the n rows first by a hash of
    (cols, s): uniform and repeatable, as DuckDB's is, but not the same rows when there are more than n (every row
    when there are fewer, as in DuckDB)."""
    sample = node.args.get("sample") if isinstance(node, exp.Select) else None
    if sample is None or sample.args.get("method") is None or sample.args["method"].name.upper() != "RESERVOIR":
        return node
    seed = sample.args.get("seed") or exp.Literal.number(0)
    node.set("sample", None)
    ranking = exp.func("xxhash64", *(column.copy() for column in node.expressions), seed.copy())
    return node.order_by(ranking, copy=False).limit(sample.args["size"].copy(), copy=False)


def _quantile(node: exp.Expression) -> exp.Expression:
    """`quantile_cont(x, q)` as `percentile(x, q)`, which Spark takes without WITHIN GROUP."""
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.func("percentile", node.this, node.expression)
    return node


def _is_call(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name


def first_line(message: str) -> str:
    """The first line of an error message (Spark's and sqlglot's run to many)."""
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


REWRITES = (_ordered_list, _list_length, _slice, _division, _mean, _list_avg, _md5_number, _reservoir_sample, _quantile)
