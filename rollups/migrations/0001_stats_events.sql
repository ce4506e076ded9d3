-- The raw log of stats events: one row per event, counted exactly once (see rollups/event-log.ts).
-- Ordered for per-artist and per-track time-range reads (a track's owner is known to every reader,
-- since stats belong to the owner); partitioned by month so retention and backfills move whole months.
CREATE TABLE IF NOT EXISTS stats_events
(
    event_id     String CODEC(ZSTD(3)),
    type         Enum8('play' = 1, 'like' = 2, 'repost' = 3, 'comment' = 4, 'download' = 5),
    occurred_at  DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    owner_id     UInt64,
    track_id     UInt64 CODEC(ZSTD(1)),
    -- 0 when the listener is anonymous; then anonymous_id (if any) identifies them.
    user_id      UInt64 CODEC(ZSTD(1)),
    anonymous_id String CODEC(ZSTD(3)),
    -- The unique-listener key: 'u:<user_id>', 'a:<anonymous_id>', or '' when nobody is known.
    listener     String MATERIALIZED multiIf(user_id != 0, concat('u:', toString(user_id)),
                                             anonymous_id != '', concat('a:', anonymous_id), '') CODEC(ZSTD(3)),
    country      LowCardinality(String),
    city         LowCardinality(String),
    source       Enum8('web' = 1, 'ios' = 2, 'android' = 3, 'embed' = 4, 'api' = 5, 'other' = 6),
    referrer     LowCardinality(String),
    listened_ms  Nullable(UInt32) CODEC(ZSTD(1)),
    -- When the writer logged it: freshness and rollup lag are measured against this.
    logged_at    DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    -- Written in the same part as the rows, so the writer's duplicate check by (time, id) sees exactly
    -- what the log holds, with no second table that a crash could leave behind.
    PROJECTION by_time (SELECT event_id, occurred_at ORDER BY occurred_at)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (owner_id, occurred_at, track_id)
SETTINGS non_replicated_deduplication_window = 10000;
