-- Whole local days for the time zones artists use. A day in a zone whose midnight is not a UTC
-- midnight is otherwise several stats_rollup buckets (Europe/Berlin: 3 to 6, Asia/Kathmandu: up to 9),
-- and a busy artist's listener states are 2.5 KiB each: a year's daily series merged some 2,000 to
-- 3,300 of them (90 to 200 ms). With a zone registered, each of its ordinary days is one state.
--
-- stats_rollup_phases: the minutes of the UTC day at which registered zones' days begin (Europe/Berlin:
-- 1380 in winter, 1320 in summer; Asia/Kathmandu: 1095). `rollups zones add` inserts them with
-- ready = 0, so the view starts writing those days at once, backfills the history, then marks them
-- ready; only ready phases are read by the range planner (rollups/stats-reader.ts).
CREATE TABLE IF NOT EXISTS stats_rollup_phases
(
    phase      UInt16,
    zone       LowCardinality(String),
    ready      UInt8,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (phase, zone);

-- The view as in 0002, plus one more 1440-minute bucket per registered phase: the 24 hours from that
-- minute (its `phase`, as for every bucket of 3 hours and more). Such a day can straddle UTC months
-- and years; it lives in the partition of the year it starts in (the backfill reads a day of the log
-- either side of a year for it). MODIFY QUERY swaps the definition atomically: no insert is missed.
ALTER TABLE stats_rollup_mv MODIFY QUERY
SELECT
    owner_id,
    track_id,
    span.1 AS span_minutes,
    toUInt16(if(span.1 >= 180, intDiv(toUInt32(bucket) % 86400, 60), 0)) AS phase,
    toDateTime(intDiv(toUInt32(quarter) - span.2 * 60, span.1 * 60) * (span.1 * 60) + span.2 * 60, 'UTC') AS bucket,
    sum(q_plays) AS plays,
    sum(q_likes) AS likes,
    sum(q_reposts) AS reposts,
    sum(q_comments) AS comments,
    sum(q_downloads) AS downloads,
    uniqHLL12MergeState(q_listeners) AS listeners,
    max(q_logged_at) AS last_logged_at
FROM
(
    SELECT
        owner_id,
        arrayJoin([0, track_id]) AS track_id,
        toStartOfFifteenMinutes(occurred_at) AS quarter,
        toUInt64(countIf(type = 'play')) AS q_plays,
        toUInt64(countIf(type = 'like')) AS q_likes,
        toUInt64(countIf(type = 'repost')) AS q_reposts,
        toUInt64(countIf(type = 'comment')) AS q_comments,
        toUInt64(countIf(type = 'download')) AS q_downloads,
        uniqHLL12StateIf(listener, type = 'play' AND listener != '') AS q_listeners,
        max(logged_at) AS q_logged_at
    FROM stats_events
    GROUP BY owner_id, track_id, quarter
)
ARRAY JOIN arrayConcat(
    [(toUInt16(15), toUInt16(0)), (60, 0), (180, 0), (360, 0), (720, 0), (1440, 0)],
    arrayMap(p -> (toUInt16(1440), p), (SELECT groupArrayDistinct(phase) FROM stats_rollup_phases FINAL WHERE phase != 0))
) AS span
GROUP BY owner_id, track_id, span_minutes, phase, bucket;
