-- oql: runs since @2020-02-01T06:30:15 until now

SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE) AND "start_time" < CAST($p2 AS TIMESTAMPTZ) AND "date" <= CAST($p2 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 1, 6, 30, 15, tzinfo=datetime.timezone.utc)
--   $p2 = datetime.datetime(2020, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
