-- Plays per logged-in listener, per artist and UTC day: the tier behind top listeners.
--
-- The raw log answers "who listened most in the last 30 days" by reading every play of the range (an
-- artist with 100 million plays a year: 5.7 million plays and 135 ms). This tier holds one row per
-- listener and day (2 million rows for those 30 days), and the reader (stats-reader.ts,
-- topListeners) never aggregates them all: listeners are heavy-tailed, so it takes the users of the
-- few thousand largest rows as candidates, sums only theirs, and proves the answer exact with a bound
-- on everyone else (falling back to the full sum when the bound does not hold).
--
-- Artists only (a single track's top listeners come from the log): per track the tier would be larger
-- than the artist's. Within one part a (day, listener) key has one row (the view groups by it), which
-- the reader's bound relies on.
CREATE TABLE IF NOT EXISTS stats_listener_days
(
    owner_id UInt64,
    bucket   DateTime('UTC'),
    user_id  UInt64,
    plays    SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(bucket)
ORDER BY (owner_id, bucket, user_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Filled from the log once (idempotent: emptied first), before the view starts adding new plays. With
-- the embedded engine nothing writes while migrations run; against a server with writers running,
-- run `search-stats rollups backfill --rollup listeners` afterwards.
TRUNCATE TABLE IF EXISTS stats_listener_days;

INSERT INTO stats_listener_days
SELECT owner_id, toStartOfDay(occurred_at) AS bucket, user_id, count() AS plays
FROM stats_events
WHERE type = 'play' AND user_id != 0
GROUP BY owner_id, bucket, user_id
SETTINGS insert_deduplicate = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS stats_listener_days_mv TO stats_listener_days AS
SELECT owner_id, toStartOfDay(occurred_at) AS bucket, user_id, toUInt64(count()) AS plays
FROM stats_events
WHERE type = 'play' AND user_id != 0
GROUP BY owner_id, bucket, user_id;
