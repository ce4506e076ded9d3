// Progress of a long command-line job on stderr: a redrawn bar on a terminal, one line per step
// otherwise (logs and CI), so stdout stays the command's result.
export interface Progress {
  step(done: number, label: string): void
  end(): void
}

export function progress(
  title: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const started = Date.now()
  const width = 30
  return {
    step(done, label) {
      const share = total === 0 ? 1 : done / total
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      if (stream.isTTY) {
        const filled = Math.round(share * width)
        const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`
        stream.write(`\r${title} [${bar}] ${done}/${total} ${label} ${seconds}s\x1b[K`)
      } else {
        stream.write(`${title}: ${done}/${total} ${label} (${seconds}s)\n`)
      }
    },
    end() {
      if (stream.isTTY) stream.write('\n')
    },
  }
}
