-- oql: history train metric train_accuracy every week

SELECT r.bucket, r.runs, v."train_accuracy" FROM (SELECT CAST(date_trunc('week', CAST(start_time AS TIMESTAMP)) AS TIMESTAMPTZ) AS bucket, count(*) AS runs, avg(date_diff('millisecond', start_time, end_time) / 1000.0) AS duration_s FROM runs WHERE "component" = $p1 GROUP BY 1) AS r LEFT JOIN (SELECT CAST(date_trunc('week', CAST(start_time AS TIMESTAMP)) AS TIMESTAMPTZ) AS bucket, avg(value) FILTER (WHERE name = $p2) AS "train_accuracy" FROM metrics WHERE "component" = $p1 AND name IN ($p2) GROUP BY 1) AS v ON r.bucket = v.bucket ORDER BY 1
-- parameters:
--   $p1 = 'train'
--   $p2 = 'train_accuracy'
