"""client: the execution layer that wraps a user's pipeline code.

`component` defines components and their triggers, `runner` executes a run (the decorator and the `with` block),
`capture` reads a function's locals at return cheaply, `values` turns logged values into pointers (with samples and
summaries for dataframes), `lineage` works out dependencies and staleness, and `logger` turns a finished run into
rows for the store. Data flows one way: client -> storage.
"""
