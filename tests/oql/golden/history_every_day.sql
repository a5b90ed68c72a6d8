-- oql: history etl metric rows since 90 days ago every 1 day

SELECT r.bucket, r.runs, v."rows" FROM (SELECT CAST("date" AS TIMESTAMPTZ) AS bucket, count(*) AS runs, avg(date_diff('millisecond', start_time, end_time) / 1000.0) AS duration_s FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) GROUP BY 1) AS r LEFT JOIN (SELECT CAST("date" AS TIMESTAMPTZ) AS bucket, avg(value) FILTER (WHERE name = $p3) AS "rows" FROM metrics WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) AND name IN ($p3) GROUP BY 1) AS v ON r.bucket = v.bucket ORDER BY 1
-- parameters:
--   $p1 = 'etl'
--   $p2 = datetime.datetime(2019, 12, 2, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 'rows'
