// A value read from somewhere slow, kept and served while a newer read is under way: only the first
// read is ever waited for. For values that only grow more useful with age, never wrong (the registered
// zones' day phases: a phase is only ever added, and one not yet known just makes a cover finer).

export class StaleWhileRefresh<T> {
  private kept: { value: Promise<T>; readAt: number } | undefined
  private refreshing = false

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The kept value; when it is older than maxAgeMs, a new read starts and replaces it once it
   * succeeds. A failed first read is not kept (the next call reads again); a failed refresh keeps the
   * old value for another maxAgeMs.
   */
  get(): Promise<T> {
    const kept = this.kept
    if (!kept) {
      const value = this.read()
      this.kept = { value, readAt: this.now() }
      value.catch(() => {
        if (this.kept?.value === value) this.kept = undefined
      })
      return value
    }
    if (!this.refreshing && this.now() - kept.readAt >= this.maxAgeMs) {
      this.refreshing = true
      this.read().then(
        (fresh) => {
          this.kept = { value: Promise.resolve(fresh), readAt: this.now() }
          this.refreshing = false
        },
        () => {
          kept.readAt = this.now()
          this.refreshing = false
        },
      )
    }
    return kept.value
  }
}
