-- oql: inspect 'models/tip-model.json' | where section = 'read by'

-- inspect_pointer {'pointer': 'models/tip-model.json'}
-- step io:
SELECT direction, run_id, component, start_time, end_time, pointer_type, value, content_hash FROM io WHERE pointer = $pointer ORDER BY end_time, run_id
-- step flag:
SELECT flagged, ts FROM flags WHERE pointer = $pointer ORDER BY ts DESC LIMIT 1
-- step feedback:
SELECT label, label_text, ts FROM feedback WHERE id = $pointer ORDER BY ts DESC LIMIT 1
-- step summaries:
SELECT column_name, kind, count, nulls, mean, std, min, max FROM summaries WHERE pointer = $pointer AND run_id = $run_id ORDER BY column_name
-- step nearest_by_stem:
SELECT pointer FROM (SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end UNION SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- then, over __result:
SELECT * FROM __result WHERE ("section" = $p1)
-- parameters:
--   $p1 = 'read by'
