-- Golden cases of history: per run, per time bucket, logged, derived and summary metrics.

-- oql: history train metric train_accuracy, duration_s

WITH base AS (SELECT run_id, start_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s FROM runs WHERE "component" = $p1), logged AS (SELECT run_id, max(CASE WHEN name = $p2 THEN value END) AS "train_accuracy" FROM metrics WHERE "component" = $p1 GROUP BY run_id) SELECT base.start_time, base.run_id, "train_accuracy", base.duration_s AS "duration_s" FROM base LEFT JOIN logged USING (run_id) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'train'
--   $p2 = 'train_accuracy'

-- oql: history etl

WITH base AS (SELECT run_id, start_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s FROM runs WHERE "component" = $p1), logged AS (SELECT run_id, max(CASE WHEN name = $p2 THEN value END) AS "rows" FROM metrics WHERE "component" = $p1 GROUP BY run_id) SELECT base.start_time, base.run_id, "rows" FROM base LEFT JOIN logged USING (run_id) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'etl'
--   $p2 = 'rows'

-- oql: history etl metric rows since 90 days ago every 1 day

SELECT r.bucket, r.runs, v."rows" FROM (SELECT bucket, sum(runs) AS runs, sum(duration_sum) / nullif(sum(duration_count), 0) AS duration_s FROM (SELECT CAST("date" AS TIMESTAMPTZ) AS bucket, runs, duration_sum, duration_count FROM hourly_runs WHERE "component" = $p1 AND hour >= CAST($p3 AS TIMESTAMPTZ)) AS r GROUP BY 1) AS r LEFT JOIN (SELECT bucket, sum(total) FILTER (WHERE name = $p4) / nullif(sum(n) FILTER (WHERE name = $p4), 0) AS "rows" FROM (SELECT CAST("date" AS TIMESTAMPTZ) AS bucket, name, n, total FROM hourly_metrics WHERE "component" = $p1 AND hour >= CAST($p3 AS TIMESTAMPTZ) AND name IN ($p4)) AS v GROUP BY 1) AS v ON r.bucket = v.bucket ORDER BY 1
-- parameters:
--   $p1 = 'etl'
--   $p2 = datetime.datetime(2019, 12, 2, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = datetime.datetime(2019, 12, 2, 12, 0, tzinfo=datetime.timezone.utc)
--   $p4 = 'rows'

-- oql: history train metric train_accuracy every week

SELECT r.bucket, r.runs, v."train_accuracy" FROM (SELECT bucket, sum(runs) AS runs, sum(duration_sum) / nullif(sum(duration_count), 0) AS duration_s FROM (SELECT CAST(date_trunc('week', CAST(hour AS TIMESTAMP)) AS TIMESTAMPTZ) AS bucket, runs, duration_sum, duration_count FROM hourly_runs WHERE "component" = $p1 AND true) AS r GROUP BY 1) AS r LEFT JOIN (SELECT bucket, sum(total) FILTER (WHERE name = $p2) / nullif(sum(n) FILTER (WHERE name = $p2), 0) AS "train_accuracy" FROM (SELECT CAST(date_trunc('week', CAST(hour AS TIMESTAMP)) AS TIMESTAMPTZ) AS bucket, name, n, total FROM hourly_metrics WHERE "component" = $p1 AND true AND name IN ($p2)) AS v GROUP BY 1) AS v ON r.bucket = v.bucket ORDER BY 1
-- parameters:
--   $p1 = 'train'
--   $p2 = 'train_accuracy'

-- oql: history etl metric rows every 6 hours

SELECT r.bucket, r.runs, v."rows" FROM (SELECT bucket, sum(runs) AS runs, sum(duration_sum) / nullif(sum(duration_count), 0) AS duration_s FROM (SELECT to_timestamp(floor(epoch(hour) / $p2) * $p2) AS bucket, runs, duration_sum, duration_count FROM hourly_runs WHERE "component" = $p1 AND true) AS r GROUP BY 1) AS r LEFT JOIN (SELECT bucket, sum(total) FILTER (WHERE name = $p4) / nullif(sum(n) FILTER (WHERE name = $p4), 0) AS "rows" FROM (SELECT to_timestamp(floor(epoch(hour) / $p2) * $p2) AS bucket, name, n, total FROM hourly_metrics WHERE "component" = $p1 AND true AND name IN ($p4)) AS v GROUP BY 1) AS v ON r.bucket = v.bucket ORDER BY 1
-- parameters:
--   $p1 = 'etl'
--   $p2 = 21600
--   $p3 = 21600
--   $p4 = 'rows'

-- oql: history inference metric accuracy, null_frac(fare_amount) since 30 days ago every 1 day

SELECT CAST(date_trunc('day', CAST(start_time AS TIMESTAMP)) AS TIMESTAMPTZ) AS bucket, count(*) AS runs, sum("accuracy" * labeled) / nullif(sum(labeled), 0) AS "accuracy", avg("null_frac(fare_amount)") AS "null_frac(fare_amount)", sum("labeled") AS "labeled" FROM (WITH base AS (SELECT run_id, start_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)), summarised AS (SELECT run_id, sum(nulls) FILTER (WHERE column_name = $p3) / nullif(sum(count + nulls) FILTER (WHERE column_name = $p3), 0) AS "null_frac(fare_amount)" FROM summaries WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) GROUP BY run_id), labels AS (SELECT id, label FROM (SELECT id, label, row_number() OVER (PARTITION BY id ORDER BY ts DESC) AS newest FROM feedback WHERE label IS NOT NULL) AS latest WHERE newest = 1), realized AS (SELECT o.run_id, count(*) AS outputs, count(l.id) AS labeled, avg(CASE WHEN l.id IS NULL THEN NULL WHEN (o.value >= 0.5) = (l.label >= 0.5) THEN 1.0 ELSE 0.0 END) AS accuracy FROM (SELECT run_id, pointer, value FROM io WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) AND direction = 'output' AND value IS NOT NULL) AS o LEFT JOIN labels AS l ON l.id = o.pointer GROUP BY o.run_id) SELECT base.start_time, base.run_id, "accuracy", "null_frac(fare_amount)", "labeled" FROM base LEFT JOIN summarised USING (run_id) LEFT JOIN realized USING (run_id)) AS per_run GROUP BY 1 ORDER BY 1
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2020, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 'fare_amount'
