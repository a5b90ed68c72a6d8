-- oql: expect runs where status = 'failed' since 1 day ago is empty

-- expect (empty): expect runs where status = 'failed' since 1 day ago is empty
SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE)) AS r WHERE ("status" = $p2) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)
--   $p2 = 'failed'
