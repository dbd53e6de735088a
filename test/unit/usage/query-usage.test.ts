import { describe, expect, it } from 'vitest';
import type { RollupRow, UsageReader } from '../../../shared/usage/ports.js';
import { MAX_USAGE_ROWS, queryUsage, summarizeUsage } from '../../../shared/usage/query-usage.js';
import { UsageError } from '../../../shared/usage/usage-error.js';
import { parseUsageQuery, type UsageQueryInput } from '../../../shared/usage/usage-query.js';
import { rollupRow, usageCatalog } from './usage-factory.js';

const NOW = Date.parse('2026-11-30T12:34:00.000Z');
const H21 = '2026-11-29T21:00:00.000Z';
const H22 = '2026-11-29T22:00:00.000Z';
const H23 = '2026-11-29T23:00:00.000Z';
const NEXT_DAY_H00 = '2026-11-30T00:00:00.000Z';
const NEXT_DAY_H05 = '2026-11-30T05:00:00.000Z';

function report(input: Omit<UsageQueryInput, 'tenant'>, rows: readonly RollupRow[]) {
  return summarizeUsage(parseUsageQuery({ tenant: 'acme', ...input }, usageCatalog, NOW), rows);
}

const twoDays = { from: '2026-11-29', to: '2026-12-01' };

const tokenRows = [
  rollupRow(H21, { group: { model: 'gpt-4o', workspace: 'w1' }, values: { m_input_tokens: '1200' } }),
  rollupRow(H21, { group: { model: 'gpt-4o', workspace: 'w2' }, values: { m_input_tokens: '300' } }),
  rollupRow(H21, { group: { model: 'mini', workspace: 'w1' }, values: { m_input_tokens: '0.25' } }),
  rollupRow(H22, { group: { model: 'gpt-4o', workspace: 'w1' }, values: { m_input_tokens: '50' } }),
  rollupRow(NEXT_DAY_H05, { group: { model: 'mini', workspace: 'w2' }, values: { m_input_tokens: '7' } }),
];

describe('summarizeUsage', () => {
  const cases: Array<{
    name: string;
    input: Omit<UsageQueryInput, 'tenant'>;
    rows: readonly RollupRow[];
    total: string;
    rows_: Array<[windowStart: string, group: Record<string, string>, value: string]>;
  }> = [
    {
      name: 'SUM per hour without groupBy adds every group of the hour',
      input: { meter: 'input_tokens', ...twoDays },
      rows: tokenRows,
      total: '1557.25', // 1200 + 300 + 0.25 + 50 + 7
      rows_: [
        [H21, {}, '1500.25'], // 1200 + 300 + 0.25
        [H22, {}, '50'],
        [NEXT_DAY_H05, {}, '7'],
      ],
    },
    {
      name: 'SUM per UTC day grouped by workspace re-aggregates the model dimension away',
      input: { meter: 'input_tokens', ...twoDays, windowSize: 'DAY', groupBy: 'workspace' },
      rows: tokenRows,
      total: '1557.25',
      rows_: [
        ['2026-11-29T00:00:00.000Z', { workspace: 'w1' }, '1250.25'], // 1200 + 0.25 + 50
        ['2026-11-29T00:00:00.000Z', { workspace: 'w2' }, '300'],
        ['2026-11-30T00:00:00.000Z', { workspace: 'w2' }, '7'],
      ],
    },
    {
      name: 'SUM grouped by two dimensions keeps the order asked for',
      input: { meter: 'input_tokens', ...twoDays, windowSize: 'day', groupBy: 'workspace,model' },
      rows: tokenRows.slice(0, 4),
      total: '1550.25', // 1200 + 300 + 0.25 + 50
      rows_: [
        ['2026-11-29T00:00:00.000Z', { workspace: 'w1', model: 'gpt-4o' }, '1250'], // 1200 + 50
        ['2026-11-29T00:00:00.000Z', { workspace: 'w1', model: 'mini' }, '0.25'],
        ['2026-11-29T00:00:00.000Z', { workspace: 'w2', model: 'gpt-4o' }, '300'],
      ],
    },
    {
      name: 'SUM stays exact for decimals and for 10^12-scale counts',
      input: { meter: 'input_tokens', ...twoDays, windowSize: 'DAY' },
      rows: [
        rollupRow(H21, { group: { model: 'a', workspace: '' }, values: { m_input_tokens: '0.1' } }),
        rollupRow(H22, { group: { model: 'a', workspace: '' }, values: { m_input_tokens: '0.2' } }),
        rollupRow(H23, {
          group: { model: 'a', workspace: '' },
          values: { m_input_tokens: '999999999999999999.7' },
        }),
      ],
      total: '1000000000000000000', // 0.1 + 0.2 + 999999999999999999.7 = 10^18 exactly (floats give 0.30000000000000004)
      rows_: [['2026-11-29T00:00:00.000Z', {}, '1000000000000000000']],
    },
    {
      name: 'COUNT adds event counts',
      input: { meter: 'calls', ...twoDays, windowSize: 'DAY', groupBy: ['model'] },
      rows: [
        rollupRow(H21, { group: { model: 'a' }, values: { m_calls: '3' } }),
        rollupRow(H22, { group: { model: 'a' }, values: { m_calls: '4' } }),
        rollupRow(H22, { group: { model: 'b' }, values: { m_calls: '1' } }),
      ],
      total: '8', // 3 + 4 + 1
      rows_: [
        ['2026-11-29T00:00:00.000Z', { model: 'a' }, '7'], // 3 + 4
        ['2026-11-29T00:00:00.000Z', { model: 'b' }, '1'],
      ],
    },
    {
      name: 'MAX takes the largest hour of the day, not the sum',
      input: { meter: 'storage_gb', ...twoDays, windowSize: 'DAY' },
      rows: [
        rollupRow(H21, { group: { workspace: 'w1' }, values: { m_storage_gb: '10.5' } }),
        rollupRow(H22, { group: { workspace: 'w1' }, values: { m_storage_gb: '12' } }),
        rollupRow(H22, { group: { workspace: 'w2' }, values: { m_storage_gb: '3' } }),
        rollupRow(NEXT_DAY_H00, { group: { workspace: 'w1' }, values: { m_storage_gb: '11' } }),
      ],
      total: '12', // max(10.5, 12, 3, 11)
      rows_: [
        ['2026-11-29T00:00:00.000Z', {}, '12'], // max(10.5, 12, 3)
        ['2026-11-30T00:00:00.000Z', {}, '11'],
      ],
    },
    {
      name: 'LATEST takes the value with the latest event time, whatever the row order',
      input: { meter: 'queue_depth', ...twoDays, windowSize: 'DAY' },
      rows: [
        rollupRow(H22, {
          group: { workspace: 'w1' },
          values: { m_queue_depth: '5' },
          times: { t_queue_depth: '2026-11-29T22:59:00Z' },
        }),
        rollupRow(H22, {
          group: { workspace: 'w2' },
          // 23:30+01:00 is 22:30Z: earlier than 22:59Z although its text sorts later.
          values: { m_queue_depth: '9' },
          times: { t_queue_depth: '2026-11-29T23:30:00+01:00' },
        }),
        rollupRow(H21, {
          group: { workspace: 'w1' },
          values: { m_queue_depth: '2' },
          times: { t_queue_depth: '2026-11-29T21:10:00Z' },
        }),
      ],
      total: '5', // 22:59Z is the latest of 22:59Z, 22:30Z, 21:10Z
      rows_: [['2026-11-29T00:00:00.000Z', {}, '5']],
    },
    {
      name: 'UNIQUE_COUNT counts the union of distinct values: days and totals are not sums of hours',
      input: { meter: 'active_agents', ...twoDays, windowSize: 'DAY' },
      rows: [
        rollupRow(H21, { group: { workspace: 'w1' }, sets: { u_active_agents: ['a1', 'a2'] } }),
        rollupRow(H22, { group: { workspace: 'w1' }, sets: { u_active_agents: ['a2', 'a3'] } }),
        rollupRow(H22, { group: { workspace: 'w2' }, sets: { u_active_agents: ['a1'] } }),
        rollupRow(NEXT_DAY_H05, { group: { workspace: 'w1' }, sets: { u_active_agents: ['a3', 'a4'] } }),
      ],
      total: '4', // |{a1, a2, a3, a4}|, not 2 + 2 + 1 + 2 = 7
      rows_: [
        ['2026-11-29T00:00:00.000Z', {}, '3'], // |{a1, a2} ∪ {a2, a3} ∪ {a1}|
        ['2026-11-30T00:00:00.000Z', {}, '2'], // |{a3, a4}|
      ],
    },
    {
      name: 'rows that hold nothing for the meter (it shares the rollup) give no row',
      input: { meter: 'input_tokens', ...twoDays },
      rows: [
        rollupRow(H21, { group: { model: 'a', workspace: 'w1' }, values: { m_cached_tokens: '5' } }),
        rollupRow(H22, { group: { model: 'a', workspace: 'w1' }, values: { m_input_tokens: '2' } }),
      ],
      total: '2',
      rows_: [[H22, {}, '2']],
    },
    {
      name: 'rows outside [from, to) are ignored',
      input: { meter: 'input_tokens', from: H22, to: H23 },
      rows: tokenRows,
      total: '50',
      rows_: [[H22, {}, '50']],
    },
    {
      name: 'no rows: total 0 and no rows',
      input: { meter: 'storage_gb', ...twoDays },
      rows: [],
      total: '0',
      rows_: [],
    },
  ];

  it.each(cases)('$name', ({ input, rows, total, rows_ }) => {
    const result = report(input, rows);
    expect(result.total).toBe(total);
    expect(result.rows.map((row) => [row.windowStart, row.group, row.value])).toEqual(rows_);
  });

  it('gives each row its window end, clipping DAY windows to [from, to)', () => {
    const result = report(
      { meter: 'input_tokens', from: '2026-11-29T21:15:00Z', to: '2026-11-30T05:10:00Z', windowSize: 'DAY' },
      tokenRows,
    );
    expect(result.from).toBe(H21); // 21:15 aligned down
    expect(result.to).toBe('2026-11-30T06:00:00.000Z'); // 05:10 aligned up
    expect(result.rows.map((row) => [row.windowStart, row.windowEnd, row.value])).toEqual([
      [H21, NEXT_DAY_H00, '1550.25'], // 1200 + 300 + 0.25 + 50, day clipped to start at 21:00
      [NEXT_DAY_H00, '2026-11-30T06:00:00.000Z', '7'],
    ]);
  });

  it('describes the meter and the query in the report', () => {
    const result = report({ meter: 'calls', ...twoDays, groupBy: 'model' }, []);
    expect(result).toMatchObject({
      tenant: 'acme',
      meter: 'calls',
      unit: 'calls',
      aggregation: 'COUNT',
      windowSize: 'HOUR',
      groupBy: ['model'],
      from: '2026-11-29T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
  });

  it('refuses an answer with more rows than MAX_USAGE_ROWS, naming windowSize', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    const rows = Array.from({ length: MAX_USAGE_ROWS + 1 }, (_, i) =>
      rollupRow(new Date(start).toISOString(), { group: { model: `m${i}` }, values: { m_calls: '1' } }),
    );
    expect(() =>
      report({ meter: 'calls', from: '2026-01-01', to: '2026-01-02', groupBy: 'model' }, rows),
    ).toThrow(expect.objectContaining({ code: 'too_many_rows', field: 'windowSize' }));
  });
});

describe('parseUsageQuery', () => {
  const invalid: Array<[name: string, input: Omit<UsageQueryInput, 'tenant'>, code: string, field: string]> =
    [
      ['no meter', { from: '2026-11-29' }, 'missing_parameter', 'meter'],
      ['an unknown meter', { meter: 'gpu' }, 'unknown_meter', 'meter'],
      ['from that is not a time', { meter: 'calls', from: 'yesterday' }, 'invalid_parameter', 'from'],
      [
        'to without an offset',
        { meter: 'calls', from: '2026-11-29', to: '2026-11-30T10:00:00' },
        'invalid_parameter',
        'to',
      ],
      ['to equal to from', { meter: 'calls', from: H21, to: H21 }, 'invalid_range', 'to'],
      ['to before from', { meter: 'calls', from: H22, to: H21 }, 'invalid_range', 'to'],
      ['from after the default to', { meter: 'calls', from: '2027-01-01' }, 'invalid_range', 'from'],
      [
        'a range over 400 days',
        { meter: 'calls', from: '2025-01-01', to: '2026-02-06' },
        'range_too_large',
        'from',
      ],
      ['an unknown window size', { meter: 'calls', windowSize: 'WEEK' }, 'invalid_parameter', 'windowSize'],
      [
        'groupBy of a dimension the meter lacks',
        { meter: 'calls', groupBy: 'workspace' },
        'invalid_parameter',
        'groupBy',
      ],
      [
        'groupBy listing a dimension twice',
        { meter: 'input_tokens', groupBy: 'model,model' },
        'invalid_parameter',
        'groupBy',
      ],
      [
        'groupBy with an empty name',
        { meter: 'input_tokens', groupBy: 'model,' },
        'invalid_parameter',
        'groupBy',
      ],
    ];

  it.each(invalid)('rejects %s, naming the parameter', (_name, input, code, field) => {
    let caught: unknown;
    try {
      parseUsageQuery({ tenant: 'acme', ...input }, usageCatalog, NOW);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect(caught).toMatchObject({ code, field });
    expect((caught as UsageError).message.startsWith(`${field}:`)).toBe(true);
  });

  it('accepts exactly 400 days', () => {
    // 2025-01-01 + 400 days = 2026-02-05
    const query = parseUsageQuery(
      { tenant: 'acme', meter: 'calls', from: '2025-01-01', to: '2026-02-05' },
      usageCatalog,
      NOW,
    );
    expect(query.toMs - query.fromMs).toBe(400 * 86_400_000);
  });

  it('defaults to HOUR windows over the 24 hours up to the end of the current hour', () => {
    const query = parseUsageQuery({ tenant: 'acme', meter: 'calls' }, usageCatalog, NOW);
    expect(query.windowSize).toBe('HOUR');
    expect(new Date(query.toMs).toISOString()).toBe('2026-11-30T13:00:00.000Z'); // 12:34 aligned up
    expect(new Date(query.fromMs).toISOString()).toBe('2026-11-29T13:00:00.000Z'); // 24 h before
    expect(query.groupBy).toEqual([]);
  });

  it('defaults DAY queries to 30 days', () => {
    const query = parseUsageQuery({ tenant: 'acme', meter: 'calls', windowSize: 'DAY' }, usageCatalog, NOW);
    expect((query.toMs - query.fromMs) / 86_400_000).toBe(30);
  });

  it('reads times with offsets as instants', () => {
    const query = parseUsageQuery(
      { tenant: 'acme', meter: 'calls', from: '2026-11-29T23:30:00+02:00', to: '2026-11-30T01:00:00+02:00' },
      usageCatalog,
      NOW,
    );
    expect(new Date(query.fromMs).toISOString()).toBe(H21); // 21:30Z aligned down
    expect(new Date(query.toMs).toISOString()).toBe(H23); // 23:00Z
  });
});

describe('queryUsage', () => {
  it('reads the rollup of the meter for the aligned range and summarizes it', async () => {
    const calls: unknown[][] = [];
    const reader: UsageReader = {
      rollupRows: async (...args) => {
        calls.push(args);
        return [rollupRow(H21, { group: { model: 'a' }, values: { m_calls: '2' } })];
      },
      entitlementRows: async () => [],
    };
    const result = await queryUsage(
      reader,
      usageCatalog,
      { tenant: 'acme', meter: 'calls', from: '2026-11-29T21:30:00Z', to: '2026-11-29T22:00:00Z' },
      NOW,
    );
    expect(calls).toEqual([['acme', 'inference.call|model', H21, H22]]);
    expect(result.total).toBe('2');
  });

  it('reads a MAX meter from its own rollup', async () => {
    const calls: unknown[][] = [];
    const reader: UsageReader = {
      rollupRows: async (...args) => {
        calls.push(args);
        return [];
      },
      entitlementRows: async () => [],
    };
    await queryUsage(reader, usageCatalog, { tenant: 'acme', meter: 'storage_gb', from: H21, to: H22 }, NOW);
    expect(calls[0]?.[1]).toBe('storage.snapshot|workspace|storage_gb');
  });
});
