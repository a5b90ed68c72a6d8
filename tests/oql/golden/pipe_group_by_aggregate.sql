-- oql: runs | group by component aggregate count(*) as n, avg(duration_s), count(distinct host) as hosts

SELECT "component", count(*) AS "n", avg("duration_s") AS "avg(duration_s)", count(DISTINCT "host") AS "hosts" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 GROUP BY "component"
