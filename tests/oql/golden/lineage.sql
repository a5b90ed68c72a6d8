-- Golden cases of lineage: trace, trace forward, slices (trace outputs of), rank runs, flag, unflag and review.

-- oql: trace 'pred-2020032210-007'

-- trace {'pointer': 'pred-2020032210-007', 'depth': None}
-- step producer:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM (SELECT run_id, component, start_time, end_time, status, stale, stale_reasons, row_number() OVER (ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE pointer = $pointer) AS latest WHERE newest = 1
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

-- oql: trace 'pred-42' depth 2 | order by depth desc, run_id

-- trace {'pointer': 'pred-42', 'depth': 2}
-- step producer:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM (SELECT run_id, component, start_time, end_time, status, stale, stale_reasons, row_number() OVER (ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE pointer = $pointer) AS latest WHERE newest = 1
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
-- then, over __result:
SELECT * FROM __result ORDER BY "depth" DESC, "run_id" ASC

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

-- oql: trace outputs of inference where value > 0.9 since 6 months ago

-- slice {'component': 'inference'}
-- step outputs:
SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p1 AND direction = 'output' AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p3)
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)

-- oql: trace outputs of inference where value > 0.9 since 6 months ago | rank runs | limit 5

-- rank {'component': 'inference'}
-- step outputs:
SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p1 AND direction = 'output' AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p3)
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step baseline:
SELECT pointer, run_id FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p4 AND direction = 'output' AND "start_time" >= CAST($p5 AS TIMESTAMPTZ) AND "date" >= CAST($p5 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS b USING SAMPLE reservoir(50000 ROWS) REPEATABLE (1)
-- then, over __result:
SELECT * FROM __result LIMIT 5
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2019, 9, 1, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 0.9
--   $p4 = 'inference'
--   $p5 = datetime.datetime(2019, 9, 1, 12, 0, tzinfo=datetime.timezone.utc)

-- oql: flag 'pred-42'

-- flag {'pointer': 'pred-42', 'flagged': True}
-- step exists:
SELECT count(*) FROM lineage_producers WHERE pointer = $pointer
-- step exists_as_input:
SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer
-- step nearest_by_stem:
SELECT pointer FROM (SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end UNION SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1

-- oql: unflag 'pred-42'

-- flag {'pointer': 'pred-42', 'flagged': False}
-- step exists:
SELECT count(*) FROM lineage_producers WHERE pointer = $pointer
-- step exists_as_input:
SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer
-- step nearest_by_stem:
SELECT pointer FROM (SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end UNION SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1

-- oql: unflag all

-- unflag_all {}
-- step flagged:
SELECT pointer FROM (SELECT pointer, flagged FROM (SELECT pointer, flagged, row_number() OVER (PARTITION BY pointer ORDER BY ts DESC) AS newest FROM flags) AS latest WHERE newest = 1) AS f WHERE flagged ORDER BY pointer

-- oql: review | select component, outputs

-- review {}
-- step flagged:
SELECT pointer FROM (SELECT pointer, flagged FROM (SELECT pointer, flagged, row_number() OVER (PARTITION BY pointer ORDER BY ts DESC) AS newest FROM flags) AS latest WHERE newest = 1) AS f WHERE flagged ORDER BY pointer
-- step latest_producers:
SELECT pointer, run_id FROM (SELECT pointer, run_id, row_number() OVER (PARTITION BY pointer ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE list_contains($pointers, pointer)) AS latest WHERE newest = 1
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step baseline:
SELECT pointer, run_id FROM (SELECT pointer, run_id FROM io WHERE direction = 'output' AND list_contains($components, "component") AND start_time BETWEEN $since AND $until) AS b USING SAMPLE reservoir(50000 ROWS) REPEATABLE (1)
-- then, over __result:
SELECT "component", "outputs" FROM __result
