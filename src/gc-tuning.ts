// Garbage-collector sizing for the long-running service. The service's live heap is small (about
// 25 MB), and V8 sets the old generation's next collection close above it. At 200 searches a second the
// short-lived garbage that outlives two young-generation collections filled that gap every 3 to 5
// seconds, and each full mark-compact stalled the requests in flight for about 10 ms: much of the
// API's p99 over Elasticsearch's (measured with the search benchmark and --trace-gc). Letting the old
// generation grow to four times what survived the last full collection left none in 90 s of that
// load, for about 75 MB more memory. The flag is read at each collection, so setting it at
// start-up takes effect from the first one.
import v8 from 'node:v8'

const HEAP_GROWING_PERCENT = 300

export function loosenOldGenerationGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
