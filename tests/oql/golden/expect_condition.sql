-- oql: expect runs of etl since 1 day ago | count(*) = 24 and max(duration_s) < 60

-- expect (condition): expect runs of etl since 1 day ago | count(*) = 24 and max(duration_s) < 60
SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'etl'
--   $p2 = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 24
--   $p4 = 60
-- assertion over __result:
SELECT ((count(*) = $p3) AND (max("duration_s") < $p4)) AS passed, count(*) AS "count(*)", max("duration_s") AS "max(duration_s)" FROM __result
-- parameters:
--   $p1 = 'etl'
--   $p2 = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 24
--   $p4 = 60
