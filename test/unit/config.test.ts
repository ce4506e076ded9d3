import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, redactUrl } from '../../src/config.js'

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({})
    expect(config.http.port).toBe(8080)
    expect(config.amqp.url).toBe('amqp://guest:guest@127.0.0.1:5672')
    expect(config.elasticsearch.url).toBe('http://127.0.0.1:9200')
    expect(config.clickhouse.url).toBeUndefined()
    expect(config.clickhouse.dataDir).toMatch(/data\/clickhouse$/)
    expect(config.log.level).toBe('info')
  })

  it('coerces numbers and accepts a ClickHouse server URL', () => {
    const config = loadConfig({ PORT: '9090', CLICKHOUSE_URL: 'http://default:pw@ch:8123' })
    expect(config.http.port).toBe(9090)
    expect(config.clickhouse.url).toBe('http://default:pw@ch:8123')
  })

  it('treats an empty CLICKHOUSE_URL as unset (embedded engine)', () => {
    expect(loadConfig({ CLICKHOUSE_URL: '' }).clickhouse.url).toBeUndefined()
  })

  it('names every bad variable and says what is wrong', () => {
    let error: unknown
    try {
      loadConfig({ PORT: 'eighty', AMQP_URL: 'http://x', LOG_LEVEL: 'loud', ELASTICSEARCH_URL: 'nope' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems.map((p) => p.variable).sort()
    expect(problems).toEqual(['AMQP_URL', 'ELASTICSEARCH_URL', 'LOG_LEVEL', 'PORT'])
    expect((error as ConfigError).message).toContain(
      'AMQP_URL: must be a URL starting with amqp:// or amqps://',
    )
  })

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/)
  })

  it('never echoes a secret back in an error', () => {
    const secret = 'short-secret'
    try {
      loadConfig({ AUTH_SECRET: secret })
      expect.unreachable('a 12-character secret must be refused')
    } catch (err) {
      expect((err as Error).message).toContain('AUTH_SECRET')
      expect((err as Error).message).not.toContain(secret)
    }
  })

  it('refuses both a shared secret and a public key', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'x'.repeat(32), AUTH_PUBLIC_KEY: 'key' })).toThrow(
      /AUTH_PUBLIC_KEY/,
    )
  })
})

describe('redactUrl', () => {
  it('hides passwords', () => {
    expect(redactUrl('amqp://guest:secret@host:5672')).toBe('amqp://guest:***@host:5672')
  })
})
