-- oql: runs between @2020-02-01 and @2020-02-15T10:00

SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE) AND "start_time" < CAST($p2 AS TIMESTAMPTZ) AND "date" <= CAST($p2 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)
--   $p2 = datetime.datetime(2020, 2, 15, 10, 0, tzinfo=datetime.timezone.utc)
