"""compiler: OQL syntax trees become plans of DuckDB SQL.

`sql` writes expressions (one function per node kind, values always bound as parameters, identifiers quoted),
`statements` compiles each statement kind with one function found through a table built once, `pipes` wraps a
statement's SQL in the refinements piped after it, and `plans` holds what the engine executes: a single SQL query,
or, for lineage and cards, a few SQL steps the engine runs in a loop. `catalog` is what the compiler may ask of the
store (component and metric names) to name unknown things with a suggestion.
"""
