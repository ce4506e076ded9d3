// What `services status` and `doctor` report for each dependency.
export interface ServiceStatus {
  name: string
  up: boolean
  /** Where it is: a URL (password hidden) or a data directory. */
  url: string
  version?: string
  managedBy: 'search-stats' | 'external' | 'embedded' | 'none'
  detail?: string
}

export function formatStatus(status: ServiceStatus): string {
  const state = status.up ? 'up' : 'DOWN'
  const version = status.version ? ` version ${status.version}` : ''
  const managed = status.managedBy === 'none' ? '' : ` (${status.managedBy})`
  const detail = status.detail ? `\n    ${status.detail}` : ''
  return `${status.name.padEnd(14)} ${state.padEnd(5)} ${status.url}${version}${managed}${detail}`
}
