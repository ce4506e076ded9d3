// Where a benchmark's CPU went: the broker's, Elasticsearch's and this process's CPU time (this process
// holds the embedded ClickHouse too), read from /proc. On a two-core machine a pipeline's rate beside a
// ceiling is mostly a matter of which processes spend the cores, so the benchmarks report the CPU
// each one spent per event beside the rates. Processes not on this machine (a docker-compose stack, a
// remote server) are absent from the figures.
import { readdirSync, readFileSync } from 'node:fs'

const PROCESSES = {
  broker: { comm: 'beam.smp', cmdline: 'rabbit' },
  elasticsearch: { comm: 'java', cmdline: 'org.elasticsearch.bootstrap.Elasticsearch' },
} as const

type Watched = keyof typeof PROCESSES

/** CPU seconds so far: this process's, and each watched service's that runs on this machine. */
export type CpuTimes = Partial<Record<Watched, number>> & { self: number }

/** Microseconds of CPU per event between two readings, per process (absent: not on this machine). */
export type CpuPerEvent = Partial<Record<Watched | 'self', number>>

/** Linux's USER_HZ: /proc reports CPU time in these ticks on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

export class ProcessCpu {
  private readonly pids: [Watched, number][] = []

  /** Watches these services (the ones a benchmark drives) beside this process. */
  constructor(services: Watched[]) {
    for (const name of services) {
      const pid = findProcess(PROCESSES[name].comm, PROCESSES[name].cmdline)
      if (pid !== undefined) this.pids.push([name, pid])
    }
  }

  read(): CpuTimes {
    const services: Partial<Record<Watched, number>> = {}
    for (const [name, pid] of this.pids) services[name] = cpuSecondsOf(pid)
    const usage = process.cpuUsage()
    return { ...services, self: (usage.user + usage.system) / 1e6 }
  }
}

export function cpuPerEvent(before: CpuTimes, after: CpuTimes, events: number): CpuPerEvent {
  const perEvent: CpuPerEvent = {}
  for (const name of Object.keys(after) as (keyof CpuTimes)[]) {
    const [from, to] = [before[name], after[name]]
    if (from !== undefined && to !== undefined) perEvent[name] = Math.round((1e6 * (to - from)) / events)
  }
  return perEvent
}

/** All processes' CPU per event together. */
export function totalCpu(cpu: CpuPerEvent): number {
  return Object.values(cpu).reduce<number>((sum, us) => sum + (us ?? 0), 0)
}

/** "broker 21, elasticsearch 98, self 60 us/event" (absent processes left out). */
export function describeCpu(cpu: CpuPerEvent): string {
  const parts = Object.entries(cpu)
    .filter(([, us]) => us !== undefined)
    .map(([name, us]) => `${name} ${us}`)
  return `${parts.join(', ')} us/event`
}

function findProcess(comm: string, cmdlinePart: string): number | undefined {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return undefined // not Linux
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(cmdlinePart)) return Number(entry)
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined
}

/** utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised name). */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}
