-- Rollup tiers, kept current by materialized views on the raw log (each insert into the log is
-- aggregated into them as part of the same insert). Design and exactness: rollups/README section in
-- the project README ("Rollups").
--
-- stats_rollup: counts and the unique-listener state per artist (track_id = 0) and per track, in
-- UTC-aligned buckets of 15 minutes, 1, 3, 6 and 12 hours and 1 day. Every local midnight of every
-- IANA zone in use falls on a 15-minute edge, so any local day is a handful of these buckets
-- (Europe/Berlin: 3 to 6, Asia/Kathmandu: up to 9), and a year is a few hundred day rows.
-- Listeners are uniqHLL12 states: exact up to 16 listeners, then a HyperLogLog of 4096 registers,
-- whose merge (the maximum of each register) is the state of the union. So merging the buckets of a
-- range gives exactly what uniqHLL12 gives over the range's raw rows, whatever the split; the planner
-- and the raw-log queries use this one function. (uniqCombined(12) is more accurate but not
-- split-invariant: where its exact hash set turns into a HyperLogLog depends on the order of merges,
-- and a merged answer differed from the raw one by a listener; the property test found it.)
-- Small granules (16 KiB): an AggregateFunction column is read whole granule by granule, and a busy
-- artist's listener states are 2.5 KiB each; a default granule of 8192 of them costs ~50 ms to read.
CREATE TABLE IF NOT EXISTS stats_rollup
(
    owner_id       UInt64,
    -- 0: all of the artist's tracks together.
    track_id       UInt64,
    span_minutes   UInt16,
    -- For buckets of 3 hours and more, the bucket's start as the minute of its UTC day (0 for finer
    -- ones). Sorting by it keeps together the buckets a zone's days are made of (for Europe/Berlin in
    -- winter: the 00:00 half days, the 12:00 quarter days, ...), so a year's daily series reads the
    -- states it merges and not every state in between; quarter hours and hours stay in time order
    -- for hourly series.
    phase          UInt16,
    bucket         DateTime('UTC'),
    plays          SimpleAggregateFunction(sum, UInt64),
    likes          SimpleAggregateFunction(sum, UInt64),
    reposts        SimpleAggregateFunction(sum, UInt64),
    comments       SimpleAggregateFunction(sum, UInt64),
    downloads      SimpleAggregateFunction(sum, UInt64),
    listeners      AggregateFunction(uniqHLL12, String),
    last_logged_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
-- Yearly partitions: every part a query touches costs a few milliseconds on its own, and a year's
-- range should touch one or two of them (monthly partitions made a year's summary cost 12 ms more).
PARTITION BY toYear(bucket)
ORDER BY (owner_id, track_id, span_minutes, phase, bucket)
-- The window: a retried insert into the log reaches this table through the view with the same
-- deduplication token and is dropped here too (without it the view would count it again).
SETTINGS index_granularity = 1024, index_granularity_bytes = 16384, non_replicated_deduplication_window = 10000;

-- The view aggregates each inserted block to quarter hours first, then derives the coarser buckets
-- from those (cheap: a busy artist has far fewer quarter hours than plays).
CREATE MATERIALIZED VIEW IF NOT EXISTS stats_rollup_mv TO stats_rollup AS
SELECT
    owner_id,
    track_id,
    span_minutes,
    toUInt16(if(span_minutes >= 180, intDiv(toUInt32(bucket) % 86400, 60), 0)) AS phase,
    toDateTime(intDiv(toUInt32(quarter), span_minutes * 60) * (span_minutes * 60), 'UTC') AS bucket,
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
ARRAY JOIN [15, 60, 180, 360, 720, 1440] AS span_minutes
GROUP BY owner_id, track_id, span_minutes, phase, bucket;

-- stats_rollup_top: plays per value of a dimension (country, city as 'CC|City', source, referrer),
-- per artist (track_id = 0) and per track, in UTC hours, days and calendar months: a year is twelve
-- month buckets per value, hours and the raw log fill the edges of a range in any zone.
CREATE TABLE IF NOT EXISTS stats_rollup_top
(
    owner_id  UInt64,
    track_id  UInt64,
    dimension Enum8('country' = 1, 'city' = 2, 'source' = 3, 'referrer' = 4),
    span      Enum8('hour' = 1, 'day' = 2, 'month' = 3),
    bucket    DateTime('UTC'),
    value     LowCardinality(String),
    plays     SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(bucket)
ORDER BY (owner_id, track_id, dimension, span, bucket, value)
SETTINGS index_granularity = 1024, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS stats_rollup_top_mv TO stats_rollup_top AS
SELECT
    owner_id,
    track_id,
    dimension,
    span,
    multiIf(span = 'hour', hour, span = 'day', toStartOfDay(hour), toDateTime(toStartOfMonth(hour), 'UTC')) AS bucket,
    value,
    sum(h_plays) AS plays
FROM
(
    SELECT
        owner_id,
        arrayJoin([0, track_id]) AS track_id,
        toStartOfHour(occurred_at) AS hour,
        CAST(pair.1, 'Enum8(\'country\' = 1, \'city\' = 2, \'source\' = 3, \'referrer\' = 4)') AS dimension,
        pair.2 AS value,
        count() AS h_plays
    FROM stats_events
    ARRAY JOIN [
        ('country', toString(country)),
        ('city', if(city = '', '', concat(toString(country), '|', toString(city)))),
        ('source', toString(source)),
        ('referrer', toString(referrer))
    ] AS pair
    WHERE type = 'play'
    GROUP BY owner_id, track_id, hour, dimension, value
)
ARRAY JOIN CAST(['hour', 'day', 'month'], 'Array(Enum8(\'hour\' = 1, \'day\' = 2, \'month\' = 3))') AS span
GROUP BY owner_id, track_id, dimension, span, bucket, value;

-- The owner of each track seen in the log, for reads by track id (the log is ordered by owner first):
-- the stats API checks with it that a track's stats are read by its artist.
CREATE TABLE IF NOT EXISTS stats_track_owners
(
    track_id UInt64,
    owner_id UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY track_id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS stats_track_owners_mv TO stats_track_owners AS
SELECT DISTINCT track_id, owner_id FROM stats_events;
