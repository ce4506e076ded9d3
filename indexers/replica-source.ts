// The Mothership's read replica (PostgreSQL) as a source of whole records: it completes a record the
// index only knows from saves (its create has not arrived, or was lost), and it feeds full rebuilds.
// Queries are parameterised; table and column names are fixed here.
import pg from 'pg'
import type { ModelClass } from '../src/contracts/model-events.js'

const TABLES: Record<ModelClass, string> = { Track: 'tracks', User: 'users' }

const COLUMNS: Record<ModelClass, string[]> = {
  Track: [
    'id',
    'user_id',
    'title',
    'permalink',
    'description',
    'genre',
    'tag_list',
    'duration',
    'sharing',
    'state',
    'streamable',
    'downloadable',
    'license',
    'label_name',
    'release_date',
    'bpm',
    'created_at',
    'updated_at',
  ],
  User: [
    'id',
    'username',
    'permalink',
    'full_name',
    'description',
    'city',
    'country_code',
    'avatar_url',
    'followers_count',
    'followings_count',
    'track_count',
    'verified',
    'created_at',
    'updated_at',
  ],
}

/** The replica's tables as the Mothership has them (created here only for the local stand-in). */
export const REPLICA_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id bigint PRIMARY KEY, username text NOT NULL, permalink text NOT NULL, full_name text, description text,
  city text, country_code char(2), avatar_url text, followers_count integer NOT NULL DEFAULT 0,
  followings_count integer NOT NULL DEFAULT 0, track_count integer NOT NULL DEFAULT 0,
  verified boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS tracks (
  id bigint PRIMARY KEY, user_id bigint NOT NULL, title text NOT NULL, permalink text NOT NULL, description text,
  genre text, tag_list text, duration integer, sharing text NOT NULL, state text NOT NULL,
  streamable boolean NOT NULL DEFAULT true, downloadable boolean NOT NULL DEFAULT false, license text,
  label_name text, release_date text, bpm double precision, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
`

export class ReplicaSource {
  private readonly pool: pg.Pool

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 })
  }

  async ensureSchema(): Promise<void> {
    await this.pool.query(REPLICA_SCHEMA)
  }

  /** The records with these ids, as create-event attributes (missing ids are absent). */
  async fetch(model: ModelClass, ids: number[]): Promise<Record<string, unknown>[]> {
    if (ids.length === 0) return []
    const result = await this.pool.query(
      `SELECT ${COLUMNS[model].join(', ')} FROM ${TABLES[model]} WHERE id = ANY($1::bigint[])`,
      [ids],
    )
    return result.rows.map(attributes)
  }

  /** Every record, in id order, a page at a time. */
  async *records(model: ModelClass, pageSize = 1_000): AsyncGenerator<Record<string, unknown>> {
    let after = 0
    for (;;) {
      const result = await this.pool.query(
        `SELECT ${COLUMNS[model].join(', ')} FROM ${TABLES[model]} WHERE id > $1 ORDER BY id LIMIT $2`,
        [after, pageSize],
      )
      for (const row of result.rows) yield attributes(row)
      if (result.rows.length < pageSize) return
      after = Number(result.rows[result.rows.length - 1].id)
    }
  }

  close(): Promise<void> {
    return this.pool.end()
  }
}

/** pg returns bigint as strings and timestamps as Dates; events carry numbers and ISO strings. */
function attributes(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = value.toISOString()
    else if ((key === 'id' || key === 'user_id') && typeof value === 'string') out[key] = Number(value)
    else if (key === 'country_code' && typeof value === 'string') out[key] = value.trim()
    else out[key] = value
  }
  return out
}
