-- oql: history etl

WITH base AS (SELECT run_id, start_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s FROM runs WHERE "component" = $p1), logged AS (SELECT run_id, max(CASE WHEN name = $p2 THEN value END) AS "rows" FROM metrics WHERE "component" = $p1 GROUP BY run_id) SELECT base.start_time, base.run_id, "rows" FROM base LEFT JOIN logged USING (run_id) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'etl'
--   $p2 = 'rows'
