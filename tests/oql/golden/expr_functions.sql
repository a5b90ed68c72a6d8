-- oql: runs | group by component aggregate quantile(duration_s, 0.9) as p90, median(duration_s), null_frac(error), sum(duration_s), min(start_time), max(end_time)

SELECT "component", quantile_cont("duration_s", $p1) AS "p90", quantile_cont("duration_s", 0.5) AS "median(duration_s)", avg(CASE WHEN "error" IS NULL THEN 1.0 ELSE 0.0 END) AS "null_frac(error)", sum("duration_s") AS "sum(duration_s)", min("start_time") AS "min(start_time)", max("end_time") AS "max(end_time)" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 GROUP BY "component"
-- parameters:
--   $p1 = 0.9
