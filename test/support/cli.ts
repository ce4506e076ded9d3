// Runs the command line as an operator would (`node --import tsx bin/main.ts ...`) and returns its exit
// code and output, failures included.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return exec(process.execPath, ['--import', 'tsx', 'bin/main.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    timeout: timeoutMs,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: CliResult) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}
