// The stats page in a real browser (Debian's Chromium driven by playwright-core): opened with a token,
// it shows the same totals as the API, switches range, renders the chart and the top lists, and a
// screenshot is kept in test-artifacts/.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app.js'
import { listen, type RunningServer } from '../../api/server.js'
import { writeLogWorkload } from '../../rollups/log-workload.js'
import { migrate } from '../../rollups/migrate.js'
import { StatsReader } from '../../rollups/stats-reader.js'
import { mintToken, TokenVerifier } from '../../src/auth/tokens.js'
import { type ClickHouseClient, createClickHouse } from '../../src/clickhouse/client.js'
import { silentLogger } from '../../src/logger.js'
import { projectRoot } from '../../src/paths.js'
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium.js'
import { type TestEnv, testEnv } from '../support/harness.js'

const SECRET = 'page-secret-0123456789-abcdefghijklmnop'
const ZONE = 'Europe/Berlin'
const DAY = 86_400_000
let env: TestEnv
let client: ClickHouseClient
let server: RunningServer
let browser: Browser
let token: string

beforeAll(async () => {
  const executablePath = ensureChromium()
  env = testEnv('stats-page')
  client = await createClickHouse(env.config.clickhouse)
  await migrate(client)
  await writeLogWorkload(client, {
    rows: 20_000,
    from: new Date(Date.now() - 40 * DAY),
    to: new Date(Date.now() - 60_000),
    artists: 2,
    tracksPerArtist: 5,
    listeners: 2_000,
    idPrefix: 'page',
  })
  const app = createApp({
    logger: silentLogger,
    readiness: {},
    stats: { reader: new StatsReader(client), verifier: new TokenVerifier({ secret: SECRET }) },
  })
  server = await listen(app, { port: 0, host: '127.0.0.1' })
  token = await mintToken(SECRET, { userId: 1 })
  browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await client?.close()
  env?.cleanup()
})

/** What the page endpoint answers, as far as these tests read it. */
type PageAnswer = { range: { from: string; to: string; preset?: string } }

/**
 * The API's totals for the range the page last showed, asked for separately with that range's own
 * from and to (a preset asked for again could cross midnight and mean other days).
 */
async function apiTotalsOf(
  shown: Promise<PageAnswer> | undefined,
  preset: string,
): Promise<Record<string, number>> {
  const { range } = await (shown ?? Promise.reject(new Error('the page has not been answered')))
  expect(range.preset).toBe(preset)
  const query = new URLSearchParams({ from: range.from, to: range.to, tz: ZONE })
  const response = await fetch(`http://127.0.0.1:${server.port}/v1/stats/artists/1/page?${query}`, {
    headers: { Authorization: `Bearer ${token}` },
  })
  expect(response.status).toBe(200)
  return (await response.json()).totals
}

describe('the stats page', () => {
  it('shows the API totals, switches range, and draws the chart and top lists', async () => {
    const context = await browser.newContext({
      timezoneId: ZONE,
      locale: 'en-US',
      viewport: { width: 1200, height: 1400 },
    })
    const page = await context.newPage()
    const failures: string[] = []
    page.on('pageerror', (err) => failures.push(err.message))
    const answers: Promise<PageAnswer>[] = []
    page.on('response', (response) => {
      if (response.url().includes('/page?') && response.status() === 200) answers.push(response.json())
    })
    await page.goto(`http://127.0.0.1:${server.port}/you/stats#token=${token}`)
    await page.waitForSelector('#main[aria-busy="false"]')
    expect(await page.$('#status.error')).toBeNull()
    // The token left the address bar once read.
    expect(page.url()).not.toContain('token=')

    const shown = async () =>
      Object.fromEntries(
        await page.$$eval('[data-metric]', (items) =>
          items.map((item) => [
            item.getAttribute('data-metric'),
            Number((item.querySelector('.value')?.textContent ?? '').replace(/[^\d]/g, '')),
          ]),
        ),
      )
    const month = await apiTotalsOf(answers.at(-1), '30d')
    expect(month.plays).toBeGreaterThan(0)
    expect(await shown()).toEqual(month)
    expect(await page.textContent('#who')).toContain(ZONE)
    expect(await page.$$eval('[data-top="countries"] tbody tr', (rows) => rows.length)).toBeGreaterThan(0)
    expect(await page.$$eval('#series-table tbody tr', (rows) => rows.length)).toBeGreaterThanOrEqual(30)

    await page.click('[data-preset="7d"]')
    await page.waitForSelector('[data-preset="7d"][aria-pressed="true"]')
    await page.waitForSelector('#main[aria-busy="false"]')
    const week = await apiTotalsOf(answers.at(-1), '7d')
    expect(week.plays).toBeLessThan(month.plays ?? 0)
    expect(await shown()).toEqual(week)
    expect(await page.$$eval('#series-table tbody tr', (rows) => rows.length)).toBe(7)

    // Keyboard: the presets are reachable and work with Enter.
    await page.focus('[data-preset="30d"]')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-preset="30d"][aria-pressed="true"]')
    await page.waitForSelector('#main[aria-busy="false"]')
    expect(await shown()).toEqual(await apiTotalsOf(answers.at(-1), '30d'))
    expect(answers).toHaveLength(3)

    const artifacts = path.join(projectRoot(), 'test-artifacts')
    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: path.join(artifacts, 'stats-page.png'), fullPage: true })
    expect(failures).toEqual([])
    await context.close()
  })

  it('waits as Retry-After says and asks again when the API sheds its request', async () => {
    const page = await browser.newPage()
    let shed = 0
    // The first answer is the API's own load-shedding 503 (api/admission.ts); the rest go through.
    await page.route('**/v1/stats/artists/1/page?**', async (route) => {
      if (shed++ > 0) return route.continue()
      await route.fulfill({
        status: 503,
        headers: { 'Retry-After': '1', 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: { code: 'overloaded', message: 'stats: too many requests at once' } }),
      })
    })
    const answered: Promise<{ totals: { plays: number } }>[] = []
    page.on('response', (response) => {
      if (response.url().includes('/page?') && response.status() === 200) answered.push(response.json())
    })
    await page.goto(`http://127.0.0.1:${server.port}/you/stats#token=${token}`)
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('trying again'))
    await page.waitForSelector('#main[aria-busy="false"]', { timeout: 15_000 })
    expect(await page.$('#status.error')).toBeNull()
    expect(shed).toBe(2)
    const plays = await page.textContent('[data-metric="plays"] .value')
    // What the real API answered the second time is what the page shows.
    expect(answered).toHaveLength(1)
    const { totals } = await answered[0]!
    expect(totals.plays).toBeGreaterThan(0)
    expect(Number((plays ?? '').replace(/[^\d]/g, ''))).toBe(totals.plays)
    await page.close()
  })

  it('says how to sign in when opened without a token', async () => {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${server.port}/you/stats`)
    await page.waitForSelector('#status.error')
    expect(await page.textContent('#status')).toMatch(/Sign in/)
    await page.close()
  })
})
