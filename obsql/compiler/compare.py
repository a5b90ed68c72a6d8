"""`compare A with B`: how two sides (a component, a slice, a time range) differ in the data their runs logged.

Plain `compare` pools each side's column summaries and puts them side by side, most shifted first. `on drift(*)`
and `on adversarial(*)` ask whether the distributions differ (drift: KS for numbers, chi-squared or Jensen-Shannon
for categories, judged by effect size on large samples) and which features tell the sides apart (adversarial
validation); both read the `samples` table. For drift the engine itself counts what each test needs (values, nulls,
distinct values, categories, the Kolmogorov-Smirnov gap) with the steps of `drift_steps`, so that Spark computes
them where the samples lie; adversarial validation pivots the sampled rows back into frames for `obsql.monitor`.
"""
from __future__ import annotations

from obsql.compiler.catalog import Catalog, require_columns, require_component
from obsql.compiler.pipes import describe, pipes_over_result
from obsql.compiler.plans import StepPlan
from obsql.compiler.sql import POOLED_STD, SqlWriter, pooled_mean, where_clause
from obsql.compiler.timeexpr import time_filter
from obsql.errors import ObsqlError
from obsql.grammar import ast
from obsql.monitor.identifiers import DISTINCT_SHARE, KEY_NAME, MIN_VALUES

COMPARE_STATS = ("count", "nulls", "null_frac", "mean", "std", "p05", "p50", "p95", "min", "max")


def side_rows_sql(w: SqlWriter, catalog: Catalog, side: ast.Side, table: str, columns: str) -> str:
    """Rows of `table` (summaries or samples) logged by one side's runs, filtered by the side's clauses.

    The side's `where` sees the table's columns and the run's (run_id, start_time, status, stale)."""
    component = w.param(require_component(catalog, side.component, side))
    conditions = [f's."component" = {component}'] + time_filter(w, side.time, "s.start_time", 's."date"')
    rows = (f"SELECT {columns}, r.run_id, r.start_time, r.status, r.stale FROM {table} AS s JOIN runs AS r "
            f"ON s.run_id = r.run_id AND r.\"component\" = {component}{where_clause(conditions)}")
    if side.where is not None:
        rows = f"SELECT * FROM ({rows}) AS side WHERE {w.expr(side.where)}"
    return rows


def _side_sql(w: SqlWriter, catalog: Catalog, side: ast.Side) -> str:
    """The summaries of one side's dataframes."""
    return side_rows_sql(w, catalog, side, "summaries", "s.pointer, s.column_name, s.count, s.nulls, s.mean, s.std, "
                                                        's.min, s.max, s.quantiles, s."distinct", s.top_values, s.kind')


def _pooled_sql(summaries: str) -> str:
    """Per logged column, a side's summaries pooled over its runs."""
    pooled = f"SELECT *, {pooled_mean('column_name')} AS pooled_mean FROM {summaries}"
    return (
        "SELECT column_name, sum(count) AS count, sum(nulls) AS nulls, "
        "sum(nulls) / nullif(sum(count + nulls), 0) AS null_frac, any_value(pooled_mean) AS mean, "
        f"{POOLED_STD} AS std, avg(quantiles[2]) AS p05, avg(quantiles[11]) AS p50, avg(quantiles[20]) AS p95, "
        'min(min) AS min, max(max) AS max, sum("distinct") / nullif(sum(count), 0) AS distinct_share, '
        f"bool_or(kind = 'temporal') AS temporal FROM ({pooled}) AS pooled GROUP BY column_name"
    )


def _complete(summaries: str) -> str:
    """The summaries that list every value of theirs (no more distinct values than top values): a value missing
    from a truncated list is not absent, so only these give value shares."""
    return f'(SELECT * FROM {summaries} WHERE len(top_values) >= "distinct")'


def _value_counts_sql(summaries: str) -> str:
    return ("SELECT column_name, top.value AS value, sum(top.count) AS n FROM "
            f"(SELECT column_name, unnest(top_values) AS top FROM {_complete(summaries)} AS c) AS listed GROUP BY ALL")


def _value_totals_sql(summaries: str) -> str:
    return f"SELECT column_name, sum(count) AS total FROM {_complete(summaries)} AS c GROUP BY ALL"


def _arcsine(share: str) -> str:
    """Cohen's arcsine transform of a share: differences of it are comparable at every base rate."""
    return f"2 * asin(sqrt(least(greatest({share}, 0), 1)))"


# Each kind of change in standardised units (about 0.2 small, 0.5 medium, 0.8 large): a mean shift in reference
# standard deviations (Cohen's d), a change of spread as the log of the ratio of standard deviations, a change of
# the null share or of any value's share as Cohen's h. Each summary keeps only its most frequent values, so value
# shares come from the summaries whose list is complete (a value missing from a truncated list is not absent).
CHANGES = {
    "mean": "abs(r.mean - l.mean) / nullif(l.std, 0)",
    "spread": "CASE WHEN l.std > 0 AND r.std > 0 THEN abs(ln(r.std / l.std)) END",
    "nulls": f"abs({_arcsine('r.null_frac')} - {_arcsine('l.null_frac')})",
    "categories": "c.shift",
}


def _identifier_test(w: SqlWriter) -> str:
    """Whether a column looks like a key on both sides (monitor.identifiers' rule, from the summaries)."""
    key_name = f"regexp_matches(coalesce(l.column_name, r.column_name), {w.param(KEY_NAME.pattern)}, 'i')"
    varied = " AND ".join(f"{side}.distinct_share >= {DISTINCT_SHARE} AND {side}.count >= {MIN_VALUES}"
                          for side in ("l", "r"))
    return f"({varied} AND (l.mean IS NULL OR {key_name}))"


def compare_sql(w: SqlWriter, catalog: Catalog, node: ast.Compare) -> str:
    """The two sides' summaries side by side, with their differences, the largest standardised change first (its
    size in `change`, its kind in `change_kind`: mean, spread, nulls or categories); identifier-like and time
    columns last, with change_kind `identifier` or `time` and no change."""
    columns = [c.name for c in node.on if isinstance(c, ast.Column)]
    unsupported = [c for c in node.on if not isinstance(c, ast.Column)]
    if unsupported:
        raise ObsqlError("input", f"compare ... on takes column names, drift(...) or adversarial(...), "
                                  f"not '{describe(unsupported[0])}'",
                         line=unsupported[0].line, column=unsupported[0].column)
    left, right = _side_sql(w, catalog, node.left), _side_sql(w, catalog, node.right)
    require_columns(catalog, [node.left.component, node.right.component], list(node.on))
    stats = ", ".join(f"l.{s} AS left_{s}, r.{s} AS right_{s}" for s in COMPARE_STATS)
    filter_ = ""
    if columns:
        filter_ = f" WHERE coalesce(l.column_name, r.column_name) IN ({', '.join(w.param(c) for c in columns)})"
    sizes = ", ".join(f"coalesce(nullif({sql}, 'NaN'::DOUBLE), 0) AS {name}_change" for name, sql in CHANGES.items())
    ignored = f"CASE WHEN {_identifier_test(w)} THEN 'identifier' WHEN l.temporal OR r.temporal THEN 'time' END"
    category_shift = (
        "SELECT coalesce(a.column_name, b.column_name) AS column_name, "
        f"max(abs({_arcsine('coalesce(b.n, 0) / rt.total')} - {_arcsine('coalesce(a.n, 0) / lt.total')})) AS shift "
        "FROM lv AS a FULL OUTER JOIN rv AS b ON a.column_name = b.column_name AND a.value = b.value "
        "JOIN lt ON lt.column_name = coalesce(a.column_name, b.column_name) "
        "JOIN rt ON rt.column_name = coalesce(a.column_name, b.column_name) "
        "WHERE lt.total > 0 AND rt.total > 0 GROUP BY ALL"
    )
    shown = ["column_name", *(f"{side}_{s}" for s in COMPARE_STATS for side in ("left", "right")),
             "mean_diff", "mean_shift_sd", "null_frac_diff"]
    largest = f"greatest({', '.join(f'{name}_change' for name in CHANGES)})"
    kind = " ".join(f"WHEN {name}_change = largest THEN '{name}'" for name in CHANGES)
    return (
        f"WITH ls AS ({left}), rs AS ({right}), l AS ({_pooled_sql('ls')}), r AS ({_pooled_sql('rs')}), "
        f"lv AS ({_value_counts_sql('ls')}), rv AS ({_value_counts_sql('rs')}), "
        f"lt AS ({_value_totals_sql('ls')}), rt AS ({_value_totals_sql('rs')}), c AS ({category_shift}), "
        f"sized AS (SELECT coalesce(l.column_name, r.column_name) AS column_name, {stats}, "
        "r.mean - l.mean AS mean_diff, (r.mean - l.mean) / nullif(l.std, 0) AS mean_shift_sd, "
        f"r.null_frac - l.null_frac AS null_frac_diff, {sizes}, {ignored} AS ignored "
        f"FROM l FULL OUTER JOIN r ON l.column_name = r.column_name "
        f"LEFT JOIN c ON c.column_name = coalesce(l.column_name, r.column_name){filter_}), "
        f"largest AS (SELECT *, {largest} AS largest FROM sized) "
        f"SELECT {', '.join(shown)}, CASE WHEN ignored IS NULL THEN largest END AS change, "
        f"coalesce(ignored, CASE WHEN largest > 0 THEN CASE {kind} END END) AS change_kind FROM largest "
        "ORDER BY change DESC NULLS LAST, change_kind NULLS FIRST, column_name"
    )


# -- on drift(...) and adversarial(...) ----------------------------------------------------------------------------
STATISTICS = ("drift", "adversarial")
SAMPLE_COLUMNS = "s.pointer, s.row_index, s.column_name, s.num_value, s.text_value"
ADVERSARIAL_ROWS = 50_000  # of a side's sampled rows, the most adversarial validation pulls and trains on


def asks_for_statistics(node: ast.Compare) -> bool:
    return any(isinstance(item, ast.Call) and item.name.lower() in STATISTICS for item in node.on)


def compare_statistics_plan(w: SqlWriter, catalog: Catalog, node: ast.Compare, pipes: tuple) -> StepPlan:
    if len(node.on) != 1:
        raise ObsqlError("input", "compare ... on drift(...) or adversarial(...) takes that one function alone",
                         line=node.line, column=node.column, suggestion="compare a with b on drift(*)")
    call = node.on[0]
    columns = [arg.name for arg in call.args if isinstance(arg, ast.Column)]
    stars = [arg for arg in call.args if isinstance(arg, ast.Star)]
    if len(columns) + len(stars) != len(call.args) or (stars and len(call.args) > 1):
        raise ObsqlError("input", f"{describe(call)}: give column names, or * (optionally * except a, b) for every "
                                  "column", line=call.line, column=call.column)
    exclude = list(stars[0].exclude) if stars else []
    # the side's condition sees the same columns in both tables (pointer, column_name and the run's)
    kinds = [side_rows_sql(w, catalog, side, "summaries", "s.pointer, s.column_name, s.kind")
             for side in (node.left, node.right)]
    left, right = (side_rows_sql(w, catalog, side, "samples", SAMPLE_COLUMNS) for side in (node.left, node.right))
    # one scan of the summaries for the columns either side logged as dates or times, or as booleans
    steps = {"kinds": " UNION ".join(f"SELECT column_name, kind FROM ({sql}) AS k WHERE kind IN ('temporal', "
                                     "'boolean')" for sql in kinds)}
    if call.name.lower() == "drift":
        steps |= drift_steps(left, right)
    else:  # adversarial validation trains on the rows themselves
        steps |= {"left": _some_rows(left), "right": _some_rows(right)}
    return StepPlan(call.name.lower(), {"columns": columns, "exclude": exclude}, steps, w.params,
                    pipes_over_result(w, pipes))


# -- what each drift test needs, counted where the samples are ----------------------------------------------------
DRIFT_CELLS = "drift_cells"  # the table the engine keeps both sides' cells in while a drift's steps run
_LEFT, _RIGHT = "CASE WHEN side = 'left' THEN 1 ELSE 0 END", "CASE WHEN side = 'right' THEN 1 ELSE 0 END"
_UP_TO_HERE = "OVER (PARTITION BY c.column_name ORDER BY c.x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"


def drift_steps(left: str, right: str) -> dict[str, str]:
    """The steps `engine.drift` runs over both sides' sampled cells (`side` 'left' or 'right'):

    - `profile`: per side and column, its numbers (NaN among them), texts, distinct values of each, whether its
      numbers are all whole, and the side's count of sampled rows (a row without the column's cell misses it);
    - `categories`: per side, column among $categorical and value, how many cells hold it (a column among
      $booleans as 'true' and 'false');
    - `ks`: per column among $numeric, the largest gap between the two sides' empirical distributions, in units
      of 1 / (n_left n_right), with n_left and n_right;
    - `values`: the cells of the columns among $pulled, for the tests that take the values themselves;
    - `batches`: how the columns' batches differ, for their design effects (see `_batch_spreads`).

    They read the cells from DRIFT_CELLS, which the engine keeps from the `cells` step while they run: each would
    otherwise scan the samples again (seven scans of a month's samples took 1.5 of a comparison's 1.6 s)."""
    union = f"SELECT 'left' AS side, l.* FROM ({left}) AS l UNION ALL SELECT 'right' AS side, r.* FROM ({right}) AS r"
    cells = f"WITH cells AS (SELECT * FROM {DRIFT_CELLS}) "
    profile = (
        cells + "SELECT p.*, k.sampled_rows FROM (SELECT side, column_name, count(num_value) AS numbers, "
        "count(CASE WHEN isnan(num_value) THEN 1 END) AS nans, count(text_value) AS texts, "
        "count(DISTINCT CASE WHEN NOT isnan(num_value) THEN num_value END) AS distinct_numbers, "
        "count(DISTINCT text_value) AS distinct_texts, "
        "bool_and(CASE WHEN NOT isnan(num_value) THEN num_value % 1 = 0 END) AS whole "
        "FROM cells GROUP BY side, column_name) AS p JOIN (SELECT side, count(*) AS sampled_rows FROM "
        "(SELECT DISTINCT side, run_id, pointer, row_index FROM cells) AS keyed GROUP BY side) AS k ON k.side = p.side"
    )
    value = ("CASE WHEN list_contains($booleans, column_name) THEN CASE WHEN num_value <> 0 THEN 'true' "
             "WHEN num_value = 0 THEN 'false' END ELSE text_value END")
    categories = (
        cells + f"SELECT side, column_name, value, count(*) AS n FROM (SELECT side, column_name, {value} AS value "
        "FROM cells WHERE list_contains($categorical, column_name)) AS v WHERE value IS NOT NULL "
        "GROUP BY side, column_name, value"
    )
    ks = (
        cells + ", v AS (SELECT side, column_name, num_value AS x FROM cells "
        "WHERE list_contains($numeric, column_name) AND num_value IS NOT NULL AND NOT isnan(num_value)), "
        f"n AS (SELECT column_name, sum({_LEFT}) AS nl, sum({_RIGHT}) AS nr FROM v GROUP BY column_name), "
        f"c AS (SELECT column_name, x, sum({_LEFT}) AS l, sum({_RIGHT}) AS r FROM v GROUP BY column_name, x), "
        f"g AS (SELECT c.column_name, n.nl, n.nr, sum(c.l) {_UP_TO_HERE} * n.nr - sum(c.r) {_UP_TO_HERE} * n.nl AS gap "
        "FROM c JOIN n ON n.column_name = c.column_name) "
        "SELECT column_name, max(abs(gap)) AS gap, max(nl) AS nl, max(nr) AS nr FROM g GROUP BY column_name"
    )
    values = cells + ("SELECT side, column_name, num_value, text_value FROM cells "
                      "WHERE list_contains($pulled, column_name)")
    return {"cells": union, "profile": profile, "categories": categories, "ks": ks, "values": values,
            "batches": cells + _batch_spreads(value)}


_BATCH = "side, column_name, run_id, pointer"  # a batch: one logged dataframe of one run


def _batch_spreads(value: str) -> str:
    """Per side and column, how its batches differ (`monitor.clustering.BatchSpread`'s batches, between, total and
    categories), as `part` 'values' for the numbers of the columns among $numbers, 'shares' for the categories of
    those among $categorical, 'nulls' for the missing values of those among $tested."""
    numbers = (
        "numbers AS (SELECT side, column_name, run_id, pointer, num_value AS x FROM cells WHERE "
        "list_contains($numbers, column_name) AND num_value IS NOT NULL AND NOT isnan(num_value)), "
        f"number_batches AS (SELECT {_BATCH}, count(*) AS m, avg(x) AS mean FROM numbers GROUP BY {_BATCH}), "
        "number_sides AS (SELECT side, column_name, count(*) AS n, avg(x) AS mean, var_pop(x) AS variance "
        "FROM numbers GROUP BY side, column_name)"
    )
    shares = (
        f"labelled AS (SELECT {_BATCH}, {value} AS value FROM cells WHERE list_contains($categorical, column_name)), "
        "share_cells AS (SELECT * FROM labelled WHERE value IS NOT NULL), "
        f"share_batches AS (SELECT {_BATCH}, count(*) AS m FROM share_cells GROUP BY {_BATCH}), "
        "share_sides AS (SELECT side, column_name, count(*) AS batches, sum(m) AS n, sum(m * m) AS squares "
        "FROM share_batches GROUP BY side, column_name), "
        "share_counts AS (SELECT c.side, c.column_name, c.value, count(*) AS c, max(b.m) AS m FROM share_cells AS c "
        "JOIN share_batches AS b ON b.side = c.side AND b.column_name = c.column_name AND b.run_id = c.run_id "
        "AND b.pointer = c.pointer GROUP BY c.side, c.column_name, c.run_id, c.pointer, c.value), "
        "share_values AS (SELECT side, column_name, value, sum(c) AS k, sum(c * c) AS sq, sum(c * m) AS cross_m "
        "FROM share_counts GROUP BY side, column_name, value)"
    )
    nulls = (
        "sampled AS (SELECT side, run_id, pointer, count(DISTINCT row_index) AS r FROM cells "
        "GROUP BY side, run_id, pointer), "
        "null_kinds AS (SELECT side, column_name, count(num_value) > 0 AS numeric FROM cells "
        "WHERE list_contains($tested, column_name) GROUP BY side, column_name), "
        "held AS (SELECT c.side, c.column_name, c.run_id, c.pointer, count(CASE WHEN k.numeric THEN "
        "CASE WHEN NOT isnan(c.num_value) THEN 1 END WHEN c.text_value IS NOT NULL THEN 1 END) AS v FROM cells AS c JOIN null_kinds AS k "
        "ON k.side = c.side AND k.column_name = c.column_name GROUP BY c.side, c.column_name, c.run_id, c.pointer), "
        "missing AS (SELECT k.side, k.column_name, s.r, s.r - coalesce(h.v, 0) AS z FROM null_kinds AS k "
        "JOIN sampled AS s ON s.side = k.side LEFT JOIN held AS h ON h.side = k.side AND h.column_name = "
        "k.column_name AND h.run_id = s.run_id AND h.pointer = s.pointer), "
        "missing_sides AS (SELECT side, column_name, count(*) AS batches, sum(r) AS n, "
        "CAST(sum(z) AS DOUBLE) / sum(r) AS share FROM missing GROUP BY side, column_name)"
    )
    return (
        f", {numbers}, {shares}, {nulls} "
        "SELECT b.side, b.column_name, 'values' AS part, count(*) AS batches, "
        "sum(b.m * b.m * (b.mean - s.mean) * (b.mean - s.mean)) AS between_batches, max(s.n * s.variance) AS total, "
        "2 AS categories FROM number_batches AS b JOIN number_sides AS s ON s.side = b.side "
        "AND s.column_name = b.column_name GROUP BY b.side, b.column_name "
        "UNION ALL SELECT v.side, v.column_name, 'shares' AS part, max(s.batches) AS batches, "
        "sum((v.sq - 2.0 * v.k / s.n * v.cross_m + (v.k / s.n) * (v.k / s.n) * s.squares) / (v.k / s.n)) "
        "AS between_batches, max(s.n) AS total, count(*) AS categories FROM share_values AS v JOIN share_sides AS s "
        "ON s.side = v.side AND s.column_name = v.column_name GROUP BY v.side, v.column_name "
        "UNION ALL SELECT m.side, m.column_name, 'nulls' AS part, max(s.batches) AS batches, "
        "sum((m.z - s.share * m.r) * (m.z - s.share * m.r)) AS between_batches, "
        "max(s.n * s.share * (1 - s.share)) AS total, 2 AS categories FROM missing AS m JOIN missing_sides AS s "
        "ON s.side = m.side AND s.column_name = m.column_name GROUP BY m.side, m.column_name"
    )


def _some_rows(side: str) -> str:
    """The cells of at most ADVERSARIAL_ROWS of a side's sampled rows: those first by the MD5 of their key, a uniform
    choice every engine makes alike."""
    key = "md5(run_id || '|' || pointer || '|' || CAST(row_index AS VARCHAR))"
    return (f"WITH side AS ({side}), chosen AS (SELECT run_id, pointer, row_index FROM (SELECT DISTINCT run_id, "
            f"pointer, row_index FROM side) AS keyed ORDER BY {key} LIMIT {ADVERSARIAL_ROWS}) "
            "SELECT side.* FROM side JOIN chosen ON chosen.run_id = side.run_id AND chosen.pointer = side.pointer "
            "AND chosen.row_index = side.row_index")
