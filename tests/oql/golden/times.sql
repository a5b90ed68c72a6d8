-- Golden cases of times: time ranges, absolute and relative times, intervals as values.

-- oql: runs between @2020-02-01 and @2020-02-15T10:00

SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE) AND "start_time" < CAST($p2 AS TIMESTAMPTZ) AND "date" <= CAST($p2 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)
--   $p2 = datetime.datetime(2020, 2, 15, 10, 0, tzinfo=datetime.timezone.utc)

-- oql: runs since @2020-02-01T06:30:15 until now

SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE) AND "start_time" < CAST($p2 AS TIMESTAMPTZ) AND "date" <= CAST($p2 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 1, 6, 30, 15, tzinfo=datetime.timezone.utc)
--   $p2 = datetime.datetime(2020, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)

-- oql: runs until 1 month ago

SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" < CAST($p1 AS TIMESTAMPTZ) AND "date" <= CAST($p1 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 1, 12, 0, tzinfo=datetime.timezone.utc)

-- oql: runs since 1.5 hours ago

SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 3, 1, 10, 30, tzinfo=datetime.timezone.utc)

-- oql: runs where start_time > 2 years ago and end_time < now() and end_time - start_time > 5 minutes and end_time - start_time < 1 month

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (((("start_time" > CAST($p1 AS TIMESTAMPTZ)) AND ("end_time" < CAST($p2 AS TIMESTAMPTZ))) AND (("end_time" - "start_time") > INTERVAL '300' SECOND)) AND (("end_time" - "start_time") < INTERVAL '1' MONTH)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2018, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
--   $p2 = datetime.datetime(2020, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
