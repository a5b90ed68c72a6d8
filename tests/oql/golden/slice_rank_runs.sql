-- oql: trace outputs of inference where value > 0.9 since 6 months ago | rank runs | limit 5

-- rank {'component': 'inference'}
-- step outputs:
SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p1 AND direction = 'output' AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS f WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p3)
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- then, over __result:
SELECT * FROM __result LIMIT 5
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2019, 9, 1, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 0.9
