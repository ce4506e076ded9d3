// Binds the app to a port. Port 0 picks a free one (tests); the chosen port is returned.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'

export interface RunningServer {
  port: number
  close(): Promise<void>
}

export function listen(app: Hono, options: { port: number; host: string }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: options.port, hostname: options.host },
      (info: AddressInfo) => {
        resolve({
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done())
              // Keep-alive sockets would hold close() open until they time out.
              ;(server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.()
            }),
        })
      },
    )
    server.once('error', reject)
  })
}
