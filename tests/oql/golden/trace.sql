-- oql: trace 'pred-2020032210-007'

-- trace {'pointer': 'pred-2020032210-007', 'depth': None}
-- step producer:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM (SELECT run_id, component, start_time, end_time, status, stale, stale_reasons, row_number() OVER (ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE pointer = $pointer) AS p WHERE newest = 1
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step exists_as_input:
SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer
-- step nearest_by_stem:
SELECT pointer FROM (SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end UNION SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
