// Verification: every tier bucket that lies inside [from, to) against the same bucket recomputed from
// the raw log by the tier's own view query (sums equal, listener counts equal). Buckets only one side
// has count as differences too.
import type { ClickHouseClient } from '../src/clickhouse/client.js'
import { overWindow, type Tier, viewQuery } from './tier-sources.js'

export interface TierDifferences {
  tier: string
  buckets: number
  differences: number
  /** Up to ten differing buckets: the key, then stored and expected values. */
  examples: Record<string, unknown>[]
}

export async function verifyTier(
  client: ClickHouseClient,
  tier: Tier,
  from: number,
  to: number,
): Promise<TierDifferences> {
  const fromSql = `fromUnixTimestamp64Milli(toInt64(${Math.trunc(from)}), 'UTC')`
  const toSql = `fromUnixTimestamp64Milli(toInt64(${Math.trunc(to)}), 'UTC')`
  const values = [...tier.sums, ...tier.states]
  const stored = `SELECT ${tier.key.join(', ')},
      ${tier.sums.map((column) => `toUInt64(sum(${column})) AS ${column}`).join(', ')}
      ${tier.states.map((column) => `, toUInt64(uniqHLL12Merge(${column})) AS ${column}`).join('')}
    FROM ${tier.table} WHERE bucket >= ${fromSql} AND bucket < ${toSql}
    GROUP BY ${tier.key.join(', ')} HAVING ${tier.bucketEnd} <= ${toSql}`
  const source = overWindow(await viewQuery(client, tier), fromSql, toSql)
  const expected = `SELECT ${tier.key.join(', ')},
      ${tier.sums.map((column) => `toUInt64(${column}) AS ${column}`).join(', ')}
      ${tier.states.map((column) => `, toUInt64(finalizeAggregation(${column})) AS ${column}`).join('')}
    FROM (${source}) WHERE bucket >= ${fromSql} AND ${tier.bucketEnd} <= ${toSql}`
  const differs = values.map((column) => `stored.${column} != expected.${column}`).join(' OR ')
  const result = await client.query({
    query: `SELECT count() AS buckets, countIf(${differs}) AS differences,
              groupArrayIf(10)(tuple(${tier.key.map((column) => `toString(${column})`).join(', ')},
                ${values.map((column) => `stored.${column}, expected.${column}`).join(', ')}), ${differs}) AS examples
            FROM (${stored}) AS stored FULL OUTER JOIN (${expected}) AS expected USING (${tier.key.join(', ')})`,
    format: 'JSONEachRow',
    clickhouse_settings: { max_threads: 2 },
  })
  const [row] = await result.json<{ buckets: number; differences: number; examples: unknown[][] }>()
  const names = [...tier.key, ...values.flatMap((column) => [`stored_${column}`, `expected_${column}`])]
  return {
    tier: tier.name,
    buckets: Number(row?.buckets ?? 0),
    differences: Number(row?.differences ?? 0),
    examples: (row?.examples ?? []).map((example) =>
      Object.fromEntries(names.map((name, i) => [name, example[i]])),
    ),
  }
}
