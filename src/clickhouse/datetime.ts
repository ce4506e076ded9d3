// Instants as ClickHouse reads DateTime64(3) values in UTC: `YYYY-MM-DD hh:mm:ss.sss`, no T, no zone.

export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}
