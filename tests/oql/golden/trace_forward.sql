-- oql: trace forward 'raw/yellow/2020-02-18.parquet' depth 2

-- trace_forward {'pointer': 'raw/yellow/2020-02-18.parquet', 'depth': 2}
-- step readers:
SELECT run_id, pointer FROM lineage_consumers WHERE pointer = $pointer ORDER BY start_time DESC NULLS LAST, run_id DESC
-- step downstream:
SELECT dep_run_id AS parent_run_id, run_id, pointer FROM lineage_dependents WHERE list_contains($frontier, dep_run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step exists:
SELECT count(*) FROM lineage_producers WHERE pointer = $pointer
-- step nearest_by_stem:
SELECT pointer FROM (SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end UNION SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
