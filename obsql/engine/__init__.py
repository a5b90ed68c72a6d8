"""engine: executes compiled OQL plans.

`session.Engine` holds a sandboxed in-process DuckDB connection over one store (views over the live Parquet files,
plus lineage views), runs single-SQL plans directly and step plans through `walks` (trace, trace forward, slice
traces, rank runs, review) and `cards` (inspect), and returns `result.Result`. A Spark engine over the same store,
running the same SQL transpiled by sqlglot, is the next engine to come.
"""
