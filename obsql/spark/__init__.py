"""The Spark engine: the same OQL over the same store, run by Spark (`obsql --engine spark`, `engine="spark"`).

`session` builds (or accepts) the SparkSession, `reader` gives the engine a `SparkReader` with the DuckDB
reader's surface (the store's tables as Spark temp views over the same live files), `transpile` turns the compiled
DuckDB SQL into Spark SQL with sqlglot plus a few tested rewrites, and `results` turns Spark's answers into the
Python values DuckDB gives. pyspark is imported only here, and only when the Spark engine is asked for.
"""
