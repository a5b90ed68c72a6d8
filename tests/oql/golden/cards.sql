-- Golden cases of cards: inspect a run, inspect a pointer.

-- oql: inspect run '01J8ZQ'

-- inspect_run {'run_id': '01J8ZQ'}
-- step resolve:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE run_id >= $prefix AND run_id < $prefix_end ORDER BY run_id LIMIT 5
-- step run:
SELECT run_id, start_time, end_time, status, error, git_commit, code_hash, host, pid, notes, stale, stale_reasons FROM runs WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id
-- step io:
SELECT direction, pointer, pointer_type, value, content_hash FROM io WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY direction, pointer
-- step deps:
SELECT pointer, dep_run_id, dep_component, dep_start_time, stale, reason FROM deps WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY pointer
-- step checks:
SELECT name, phase, passed, value, message FROM checks WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY ts
-- step metrics:
SELECT name, value FROM metrics WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY name
-- step code:
SELECT source FROM code WHERE code_hash = $code_hash LIMIT 1
-- step notes:
SELECT ts, note FROM run_notes WHERE run_id = $run_id ORDER BY ts
-- step redactions:
SELECT ts, action, pointer FROM redactions WHERE list_contains(run_ids, $run_id) ORDER BY ts

-- oql: inspect 'models/tip-model.json' | where section = 'read by'

-- inspect_pointer {'pointer': 'models/tip-model.json'}
-- step io:
SELECT direction, run_id, component, start_time, end_time, pointer_type, value, content_hash FROM io WHERE pointer = $pointer ORDER BY end_time, run_id
-- step flag:
SELECT flagged, ts FROM (SELECT flagged, ts, row_number() OVER (ORDER BY ts DESC) AS newest FROM flags WHERE pointer = $pointer) AS latest WHERE newest = 1
-- step feedback:
SELECT label, label_text, ts FROM (SELECT label, label_text, ts, row_number() OVER (ORDER BY ts DESC) AS newest FROM feedback WHERE id = $pointer) AS latest WHERE newest = 1
-- step summaries:
SELECT column_name, kind, count, nulls, mean, std, min, max FROM summaries WHERE pointer = $pointer AND run_id = $run_id ORDER BY column_name
-- step nearest_by_stem:
SELECT pointer FROM ((SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap) UNION (SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end LIMIT $cap)) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step pointers_produced:
SELECT count(*) FROM lineage_producers
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- then, over __result:
SELECT * FROM __result WHERE ("section" = $p1)
-- parameters:
--   $p1 = 'read by'

-- oql: note run '01H' 'retrained by hand'

-- note {'run_id': '01H', 'text': 'retrained by hand'}
-- step resolve:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE run_id >= $prefix AND run_id < $prefix_end ORDER BY run_id LIMIT 5
