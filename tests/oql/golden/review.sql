-- oql: review | select component, outputs

-- review {}
-- step flagged:
SELECT pointer FROM (SELECT pointer, flagged, row_number() OVER (PARTITION BY pointer ORDER BY ts DESC) AS newest FROM flags) AS f WHERE newest = 1 AND flagged ORDER BY pointer
-- step latest_producers:
SELECT pointer, run_id FROM (SELECT pointer, run_id, row_number() OVER (PARTITION BY pointer ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE list_contains($pointers, pointer)) AS p WHERE newest = 1
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- then, over __result:
SELECT "component", "outputs" FROM __result
