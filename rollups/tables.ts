// Every ClickHouse table name in one place; SQL elsewhere refers to these constants.
export const TABLES = {
  schemaMigrations: 'schema_migrations',
} as const
