// Every ClickHouse table name in one place; SQL elsewhere refers to these constants.
export const TABLES = {
  schemaMigrations: 'schema_migrations',
  /** The raw log of stats events (migration 0001). */
  statsEvents: 'stats_events',
} as const
