"""engine: executes compiled OQL plans.

`session.Engine` (opened with `Engine.open(path)`, which never writes to the store) holds the store's sandboxed
DuckDB reader (views over the live Parquet files, plus lineage views), runs single-SQL plans directly and step plans
through `walks` (trace, trace forward, slice traces, rank runs, review), `cards` (inspect) and `drift`
(`compare ... on drift(*)` and `adversarial(*)`), and returns `obsql.result.Result`. `catalog` answers the
compiler's questions about names; `duckdb_errors` turns DuckDB's errors into OQL errors pointing at the text. A
Spark engine over the same store, running the same SQL transpiled by sqlglot, is the next engine to come.
"""
