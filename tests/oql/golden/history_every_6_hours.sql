-- oql: history etl metric rows every 6 hours

SELECT r.bucket, r.runs, v."rows" FROM (SELECT to_timestamp(floor(epoch(start_time) / $p2) * $p2) AS bucket, count(*) AS runs, avg(date_diff('millisecond', start_time, end_time) / 1000.0) AS duration_s FROM runs WHERE "component" = $p1 GROUP BY 1) AS r LEFT JOIN (SELECT to_timestamp(floor(epoch(start_time) / $p2) * $p2) AS bucket, avg(value) FILTER (WHERE name = $p3) AS "rows" FROM metrics WHERE "component" = $p1 AND name IN ($p3) GROUP BY 1) AS v ON r.bucket = v.bucket ORDER BY 1
-- parameters:
--   $p1 = 'etl'
--   $p2 = 21600
--   $p3 = 'rows'
