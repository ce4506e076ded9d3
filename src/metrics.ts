// Prometheus metrics: one registry per process, created at start and handed to whoever records into
// it (no global default registry, so tests build their own and see only their own numbers).
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export interface Metrics {
  registry: Registry
  httpRequests: Histogram<'method' | 'route' | 'status'>
  httpShed: Counter<'group' | 'reason'>
  statsMessages: Counter<'outcome'>
  statsEvents: Counter<'result'>
  statsBatchSeconds: Histogram
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  return {
    registry,
    httpRequests: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    httpShed: new Counter({
      name: 'http_requests_shed_total',
      help: 'Requests answered 503 because their route group was overloaded, by group and reason',
      labelNames: ['group', 'reason'],
      registers: [registry],
    }),
    statsMessages: new Counter({
      name: 'stats_writer_messages_total',
      help: 'Stats messages settled by the writer, by outcome (ok, drop, retry, dead-letter)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    statsEvents: new Counter({
      name: 'stats_writer_events_total',
      help: 'Stats events by result: inserted, duplicate (already logged), dead-lettered (invalid)',
      labelNames: ['result'],
      registers: [registry],
    }),
    statsBatchSeconds: new Histogram({
      name: 'stats_writer_batch_seconds',
      help: 'Time to check and insert one batch into the log',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  }
}
