// The synthetic workload as the stats benchmarks send it: events in time order (as a live stream or a
// shipped stretch of the log arrives), and each event as the log row a direct insert writes.
import { type StatsEventInput, type StatsLogRow, validateStatsEvent } from '../src/contracts/stats-events.js'
import { statsWorkload, take, type WorkloadOptions } from '../src/workload/stats-workload.js'

export function timeOrderedEvents(count: number, options: WorkloadOptions): StatsEventInput[] {
  const at = (e: StatsEventInput) =>
    typeof e.occurred_at === 'number' ? e.occurred_at : Date.parse(e.occurred_at)
  return take(statsWorkload(options), count).sort((a, b) => at(a) - at(b))
}

export function logRowOf(event: StatsEventInput): StatsLogRow {
  const v = validateStatsEvent(event)
  if (!v.ok) throw new Error(`workload produced an invalid event: ${v.reason}`)
  return v.row
}
