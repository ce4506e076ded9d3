// Whole local days for registered time zones (migration 0003). A zone's days begin at one or two
// minutes of the UTC day (two where it keeps daylight-saving time); each such minute is a "phase",
// and for every registered phase stats_rollup also holds 24-hour buckets starting at it, so an ordinary
// local day is one listener state instead of several. Registering is: insert the phases not ready (the
// view writes those days from then on), backfill the history, mark them ready. The planner reads only
// ready phases, so an answer never comes from a half-filled tier.
import { DateTime, IANAZone } from 'luxon'
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { clickhouseTime } from '../src/clickhouse/datetime.js'
import { TABLES } from './tables.js'

export interface ZonePhase {
  zone: string
  phase: number
  ready: boolean
}

/**
 * The minutes of the UTC day at which `zone`'s days begin over the years around `at` (UTC's own, 0,
 * is left out: the UTC day buckets are always there). Days that begin off a quarter hour (none today)
 * would not be covered by the tiers and are refused.
 */
export function zonePhases(zone: string, at = Date.now(), years = 3): number[] {
  if (!IANAZone.isValidZone(zone)) throw new Error(`unknown time zone ${zone}`)
  const phases = new Set<number>()
  let day = DateTime.fromMillis(at, { zone }).minus({ years }).startOf('day')
  const end = DateTime.fromMillis(at, { zone }).plus({ years })
  while (day < end) {
    const next = day.plus({ days: 1 }).startOf('day')
    // Only 24-hour days: the two days a year that daylight-saving time shortens or stretches are made
    // of finer buckets anyway.
    if (next.toMillis() - day.toMillis() === 86_400_000) {
      const minute = (((day.toMillis() / 60_000) % 1440) + 1440) % 1440
      if (minute % 15 !== 0) throw new Error(`${zone}'s days do not begin on a quarter hour`)
      if (minute !== 0) phases.add(minute)
    }
    day = next
  }
  return [...phases].sort((a, b) => a - b)
}

/** Inserts the zones' phases as not ready (the view starts writing their days); returns them. */
export async function registerZones(client: ClickHouseClient, zones: string[]): Promise<ZonePhase[]> {
  const rows = zones.flatMap((zone) => zonePhases(zone).map((phase) => ({ zone, phase, ready: false })))
  await writePhases(client, rows)
  return rows
}

export async function markReady(client: ClickHouseClient, phases: ZonePhase[]): Promise<void> {
  await writePhases(
    client,
    phases.map((phase) => ({ ...phase, ready: true })),
  )
}

async function writePhases(client: ClickHouseClient, rows: ZonePhase[]): Promise<void> {
  if (rows.length === 0) return
  await client.insert({
    table: TABLES.rollupPhases,
    values: rows.map((row) => ({
      zone: row.zone,
      phase: row.phase,
      ready: row.ready ? 1 : 0,
      updated_at: clickhouseTime(Date.now()),
    })),
    format: 'JSONEachRow',
    // Each call is new information: never dropped as a repeat of an earlier block.
    clickhouse_settings: { insert_deduplicate: 0 },
  })
}

export async function listZonePhases(client: ClickHouseClient): Promise<ZonePhase[]> {
  const result = await client.query({
    query: `SELECT zone, phase, ready FROM ${TABLES.rollupPhases} FINAL ORDER BY zone, phase`,
    format: 'JSONEachRow',
  })
  return (await result.json<{ zone: string; phase: number; ready: number }>()).map((row) => ({
    zone: row.zone,
    phase: Number(row.phase),
    ready: Number(row.ready) === 1,
  }))
}

/** The phases the planner may read: ready for some zone. */
export async function readyPhases(client: ClickHouseClient): Promise<Set<number>> {
  return new Set((await listZonePhases(client)).filter((row) => row.ready).map((row) => row.phase))
}
