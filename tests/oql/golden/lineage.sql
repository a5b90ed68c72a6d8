-- Golden cases of lineage: trace, trace forward, slices (trace outputs of), rank runs, flag, unflag, review and
-- diagnose.

-- oql: trace 'pred-2020032210-007'

-- trace {'pointer': 'pred-2020032210-007', 'depth': None}
-- step producer:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM (SELECT run_id, component, start_time, end_time, status, stale, stale_reasons, row_number() OVER (ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE pointer = $pointer) AS latest WHERE newest = 1
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step upstream_in_core:
SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, r.component, r.start_time, r.end_time, r.status, r.stale, r.stale_reasons FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id WHERE list_contains($frontier, r.run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step exists_as_input:
SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer
-- step outputs_of:
SELECT run_id, outputs[1:$limit], total FROM lineage_outputs WHERE list_contains($components, "component") AND list_contains($days, date) AND list_contains($ids, run_id)
-- step nearest_by_stem:
SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step pointers_produced:
SELECT count(*) FROM lineage_producers
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1

-- oql: trace 'pred-42' depth 2 | order by depth desc, run_id

-- trace {'pointer': 'pred-42', 'depth': 2}
-- step producer:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM (SELECT run_id, component, start_time, end_time, status, stale, stale_reasons, row_number() OVER (ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE pointer = $pointer) AS latest WHERE newest = 1
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step upstream_in_core:
SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, r.component, r.start_time, r.end_time, r.status, r.stale, r.stale_reasons FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id WHERE list_contains($frontier, r.run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step exists_as_input:
SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer
-- step outputs_of:
SELECT run_id, outputs[1:$limit], total FROM lineage_outputs WHERE list_contains($components, "component") AND list_contains($days, date) AND list_contains($ids, run_id)
-- step nearest_by_stem:
SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step pointers_produced:
SELECT count(*) FROM lineage_producers
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- then, over __result:
SELECT * FROM __result ORDER BY "depth" DESC, "run_id" ASC

-- oql: trace forward 'raw/yellow/2020-02-18.parquet' depth 2

-- trace_forward {'pointer': 'raw/yellow/2020-02-18.parquet', 'depth': 2}
-- step readers:
SELECT * FROM (SELECT DISTINCT ON (run_id) run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_consumers WHERE pointer = $pointer) AS r ORDER BY start_time DESC NULLS LAST, run_id DESC
-- step downstream:
SELECT dep_run_id AS parent_run_id, run_id, pointer FROM lineage_dependents WHERE list_contains($frontier, dep_run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step exists:
SELECT count(*) FROM lineage_producers WHERE pointer = $pointer
-- step outputs_of:
SELECT run_id, outputs[1:$limit], total FROM lineage_outputs WHERE list_contains($components, "component") AND list_contains($days, date) AND list_contains($ids, run_id)
-- step core_runs:
SELECT run_id FROM lineage_inner_runs
-- step nearest_by_stem:
SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step pointers_produced:
SELECT count(*) FROM lineage_producers
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1

-- oql: trace outputs of inference where value > 0.9 since 6 months ago

-- slice {'component': 'inference'}
-- step outputs:
SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p1 AND direction = 'output' AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p3)
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step upstream_in_core:
SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, r.component, r.start_time, r.end_time, r.status, r.stale, r.stale_reasons FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id WHERE list_contains($frontier, r.run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)

-- oql: trace outputs of inference where value > 0.9 since 6 months ago | rank runs | limit 5

-- rank {'component': 'inference'}
-- step outputs:
SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p1 AND direction = 'output' AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p3)
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step upstream_in_core:
SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, r.component, r.start_time, r.end_time, r.status, r.stale, r.stale_reasons FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id WHERE list_contains($frontier, r.run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step baseline:
SELECT pointer, run_id FROM (SELECT pointer, run_id FROM io WHERE direction = 'output' AND list_contains($components, "component") AND start_time BETWEEN $since AND $until AND "date" BETWEEN CAST($since AS DATE) AND CAST($until AS DATE)) AS b USING SAMPLE reservoir(50000 ROWS) REPEATABLE (1)
-- step baseline_sample:
SELECT pointer, run_id, component, start_time, end_time, status, stale, stale_reasons, coalesce(deps, []) AS deps FROM lineage_output_sample WHERE list_contains($components, component) AND start_time BETWEEN $since AND $until ORDER BY draw LIMIT $size
-- then, over __result:
SELECT * FROM __result LIMIT 5
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2019, 9, 1, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 0.9

-- oql: flag 'pred-42'

-- flag {'pointers': ['pred-42'], 'flagged': True}
-- step known_pointers:
SELECT pointer FROM lineage_producers WHERE list_contains($pointers, pointer) UNION SELECT pointer FROM lineage_consumers WHERE list_contains($pointers, pointer)
-- step nearest_by_stem:
SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step pointers_produced:
SELECT count(*) FROM lineage_producers
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1

-- oql: unflag 'pred-42'

-- flag {'pointers': ['pred-42'], 'flagged': False}
-- step known_pointers:
SELECT pointer FROM lineage_producers WHERE list_contains($pointers, pointer) UNION SELECT pointer FROM lineage_consumers WHERE list_contains($pointers, pointer)
-- step nearest_by_stem:
SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step pointers_produced:
SELECT count(*) FROM lineage_producers
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
SELECT pointer, run_id, component, start_time, end_time, status, stale, stale_reasons FROM (SELECT pointer, run_id, component, start_time, end_time, status, stale, stale_reasons, row_number() OVER (PARTITION BY pointer ORDER BY end_time DESC, run_id DESC) AS newest FROM lineage_producers WHERE list_contains($pointers, pointer)) AS latest WHERE newest = 1
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step upstream_in_core:
SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, r.component, r.start_time, r.end_time, r.status, r.stale, r.stale_reasons FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id WHERE list_contains($frontier, r.run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step baseline:
SELECT pointer, run_id FROM (SELECT pointer, run_id FROM io WHERE direction = 'output' AND list_contains($components, "component") AND start_time BETWEEN $since AND $until AND "date" BETWEEN CAST($since AS DATE) AND CAST($until AS DATE)) AS b USING SAMPLE reservoir(50000 ROWS) REPEATABLE (1)
-- step baseline_sample:
SELECT pointer, run_id, component, start_time, end_time, status, stale, stale_reasons, coalesce(deps, []) AS deps FROM lineage_output_sample WHERE list_contains($components, component) AND start_time BETWEEN $since AND $until ORDER BY draw LIMIT $size
-- then, over __result:
SELECT "component", "outputs" FROM __result

-- oql: diagnose inference where value > 0.5 between @2020-03-01 and @2020-04-01 | limit 5

-- diagnose {'component': 'inference', 'since': datetime.datetime(2020, 3, 1, 0, 0, tzinfo=datetime.timezone.utc), 'until': datetime.datetime(2020, 4, 1, 0, 0, tzinfo=datetime.timezone.utc), 'before': (datetime.datetime(2019, 12, 30, 0, 0, tzinfo=datetime.timezone.utc), datetime.datetime(2020, 1, 30, 0, 0, tzinfo=datetime.timezone.utc)), 'sliced': True}
-- step outputs:
SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p1 AND direction = 'output' AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) AND "start_time" < CAST($p3 AS TIMESTAMPTZ) AND "date" <= CAST($p3 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p4)
-- step upstream:
SELECT run_id AS child_run_id, dep_run_id AS run_id, pointer FROM lineage_edges WHERE list_contains($frontier, run_id)
-- step upstream_in_core:
SELECT r.run_id AS child_run_id, e.dep_run_id AS run_id, e.pointer, r.component, r.start_time, r.end_time, r.status, r.stale, r.stale_reasons FROM lineage_inner_runs AS r LEFT JOIN lineage_inner_edges AS e ON e.run_id = r.run_id WHERE list_contains($frontier, r.run_id)
-- step runs:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE list_contains($ids, run_id)
-- step failed_checks:
SELECT run_id, name, phase, message FROM checks WHERE list_contains($ids, run_id) AND NOT passed
-- step check_history:
SELECT "component", name, count(*) AS runs, count(*) FILTER (WHERE NOT passed) AS failed FROM checks WHERE list_contains($components, "component") AND start_time >= $history_since AND start_time < $until AND "date" >= CAST($history_since AS DATE) GROUP BY ALL
-- step component_runs:
SELECT run_id, "component", start_time, code_hash, git_commit FROM runs WHERE list_contains($components, "component") AND start_time >= $history_since AND start_time < $until AND "date" >= CAST($history_since AS DATE) ORDER BY start_time, run_id
-- step column_stats:
WITH frames AS (SELECT *, list_avg(list_slice(quantiles, 6, 16)) AS midmean, quantiles[16] - quantiles[6] AS iqr, sum(mean * count) OVER (PARTITION BY run_id, column_name) / nullif(sum(count) OVER (PARTITION BY run_id, column_name), 0) AS pooled_mean FROM summaries WHERE list_contains($components, "component") AND start_time >= $history_since AND start_time < $until AND "date" >= CAST($history_since AS DATE)) SELECT run_id, "component", min(start_time) AS start_time, column_name, sum(count + nulls) AS n, sum(nulls) / nullif(sum(count + nulls), 0) AS null_frac, any_value(pooled_mean) AS mean, sqrt(sum(count * (coalesce(std * std, 0) + power(mean - pooled_mean, 2))) / nullif(sum(count), 0)) AS std, arg_max(midmean, count) AS midmean, arg_max(iqr, count) AS iqr, sum("distinct") / nullif(sum(count), 0) AS distinct_share, bool_or(kind = 'temporal') AS temporal FROM frames GROUP BY ALL
-- step metric_values:
SELECT run_id, "component", start_time, name, value FROM metrics WHERE list_contains($components, "component") AND start_time >= $history_since AND start_time < $until AND "date" >= CAST($history_since AS DATE)
-- step static:
SELECT name, static FROM (SELECT name, static, row_number() OVER (PARTITION BY name ORDER BY ts DESC) AS newest FROM components) AS latest WHERE newest = 1
-- step history_reads:
SELECT c.run_id, c."component", c.start_time, p."component" AS source, p.start_time AS written_at FROM lineage_edges AS e JOIN lineage_runs AS c ON c.run_id = e.run_id JOIN lineage_runs AS p ON p.run_id = e.dep_run_id WHERE list_contains($components, c."component") AND c.start_time >= $history_since AND c.start_time < $until
-- step baseline:
SELECT pointer, run_id FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p5 AND direction = 'output' AND "start_time" >= CAST($p6 AS TIMESTAMPTZ) AND "date" >= CAST($p6 AS DATE) AND "start_time" < CAST($p7 AS TIMESTAMPTZ) AND "date" <= CAST($p7 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS b USING SAMPLE reservoir(50000 ROWS) REPEATABLE (1)
-- step earlier_outputs:
SELECT pointer, run_id FROM (SELECT * FROM (SELECT o.pointer, o.value, l.label, o.run_id, o.start_time, o.end_time, o.pointer_type FROM (SELECT * FROM io WHERE "component" = $p8 AND direction = 'output' AND "start_time" >= CAST($p9 AS TIMESTAMPTZ) AND "date" >= CAST($p9 AS DATE) AND "start_time" < CAST($p10 AS TIMESTAMPTZ) AND "date" <= CAST($p10 AS DATE)) AS o LEFT JOIN (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1) AS l ON l.id = o.pointer) AS o WHERE ("value" > $p11)) AS b USING SAMPLE reservoir(50000 ROWS) REPEATABLE (1)
-- then, over __result:
SELECT * FROM __result LIMIT 5
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2020, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
--   $p3 = datetime.datetime(2020, 4, 1, 0, 0, tzinfo=datetime.timezone.utc)
--   $p4 = 0.5
--   $p5 = 'inference'
--   $p6 = datetime.datetime(2020, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
--   $p7 = datetime.datetime(2020, 4, 1, 0, 0, tzinfo=datetime.timezone.utc)
--   $p8 = 'inference'
--   $p9 = datetime.datetime(2019, 12, 30, 0, 0, tzinfo=datetime.timezone.utc)
--   $p10 = datetime.datetime(2020, 1, 30, 0, 0, tzinfo=datetime.timezone.utc)
--   $p11 = 0.5
