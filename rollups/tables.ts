// Every ClickHouse table name in one place; SQL elsewhere refers to these constants.
export const TABLES = {
  schemaMigrations: 'schema_migrations',
  /** The raw log of stats events (migration 0001). */
  statsEvents: 'stats_events',
  /** Counts and listener states per artist and track in UTC buckets of 15 min to 1 day (0002). */
  rollup: 'stats_rollup',
  rollupView: 'stats_rollup_mv',
  /**
   * stats_rollup's counts in time order within each bucket size (its projection counts_by_time, 0004),
   * read directly: the engine otherwise plans the read on the table too before it picks the projection.
   */
  rollupCountsByTime: 'mergeTreeProjection(currentDatabase(), stats_rollup, counts_by_time)',
  /** The minutes of the UTC day at which registered zones' days start; whole days kept for each (0003). */
  rollupPhases: 'stats_rollup_phases',
  /** Plays per country, city, source and referrer in UTC hours, days and months (0002). */
  rollupTop: 'stats_rollup_top',
  rollupTopView: 'stats_rollup_top_mv',
  /** Plays per logged-in listener, per artist and UTC day: top listeners (0005). */
  listenerDays: 'stats_listener_days',
  listenerDaysView: 'stats_listener_days_mv',
  /** track id -> owner id, for authorizing reads by track (0002). */
  trackOwners: 'stats_track_owners',
  trackOwnersView: 'stats_track_owners_mv',
} as const
