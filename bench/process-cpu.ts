// Where a benchmark's CPU went: the broker's, Elasticsearch's and this process's CPU time (this process
// holds the embedded ClickHouse too), read from /proc. On a two-core machine a pipeline's rate beside a
// ceiling is mostly a matter of which processes spend the cores, so the benchmarks report the CPU
// each one spent per event beside the rates. Processes not on this machine (a docker-compose stack, a
// remote server) are absent from the figures.
import { readdirSync, readFileSync } from 'node:fs'

/** CPU seconds so far, per process. */
export interface CpuTimes {
  broker?: number
  elasticsearch?: number
  self: number
}

/** Microseconds of CPU per event, per process, between two readings. */
export type CpuPerEvent = { [K in keyof CpuTimes]: number | undefined }

/** Linux's USER_HZ: /proc reports CPU time in these ticks on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

const PROCESSES = {
  broker: { comm: 'beam.smp', cmdline: 'rabbit' },
  elasticsearch: { comm: 'java', cmdline: 'org.elasticsearch.bootstrap.Elasticsearch' },
} as const

type Watched = keyof typeof PROCESSES

export class ProcessCpu {
  private readonly pids: Partial<Record<Watched, number>> = {}

  /** Watches these services (the ones a benchmark drives) beside this process. */
  constructor(services: Watched[]) {
    for (const name of services) {
      const wanted = PROCESSES[name]
      const pid = findProcess(wanted.comm, wanted.cmdline)
      if (pid !== undefined) this.pids[name] = pid
    }
  }

  read(): CpuTimes {
    const usage = process.cpuUsage()
    return {
      broker: this.pids.broker === undefined ? undefined : cpuSecondsOf(this.pids.broker),
      elasticsearch:
        this.pids.elasticsearch === undefined ? undefined : cpuSecondsOf(this.pids.elasticsearch),
      self: (usage.user + usage.system) / 1e6,
    }
  }
}

export function cpuPerEvent(before: CpuTimes, after: CpuTimes, events: number): CpuPerEvent {
  const per = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : Math.round((1e6 * (b - a)) / events)
  return {
    broker: per(before.broker, after.broker),
    elasticsearch: per(before.elasticsearch, after.elasticsearch),
    self: per(before.self, after.self),
  }
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
