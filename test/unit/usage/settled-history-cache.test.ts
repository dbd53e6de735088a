/**
 * The detector's history cache: the same rows as reading the store, with the settled past read
 * once per refresh instead of every run; late rows in recent hours seen at once, in old hours
 * after the refresh; memory bounded.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Meter } from '../../../shared/catalog/catalog.js';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { loadCatalogText } from '../../../shared/catalog/load-catalog.js';
import { rollupIdOf } from '../../../shared/metering/counter-keys.js';
import { DAY_MS, HOUR_MS } from '../../../shared/time/windows.js';
import type { RollupRow, UsageReader } from '../../../shared/usage/ports.js';
import { SettledHistoryCache } from '../../../shared/usage/settled-history-cache.js';
import { InMemoryUsage } from '../../support/in-memory-usage.js';

const CATALOG = `
schemaVersion: 1
meters:
  - { key: input_tokens, name: Input tokens, unit: tokens, eventType: llm.completion, aggregation: SUM, valueProperty: input_tokens, groupBy: [model] }
plans:
  - { key: basic, name: Basic }
`;
const NOW = Date.parse('2026-11-30T10:07:00.000Z');
const HOUR = Math.floor(NOW / HOUR_MS) * HOUR_MS;
const FROM = new Date(HOUR - 28 * DAY_MS).toISOString();
const TO = new Date(HOUR + HOUR_MS).toISOString();

let meter: Meter;
let usage: InMemoryUsage;
let ranges: string[];
let now: number;
let rollup: string;

/** The store, recording the ranges asked of it. */
function recording(inner: UsageReader): UsageReader {
  return {
    rollupRows: (tenant, id, from, to) => {
      ranges.push(`${from.slice(0, 13)}..${to.slice(0, 13)}`);
      return inner.rollupRows(tenant, id, from, to);
    },
    entitlementRows: (tenant, periods) => inner.entitlementRows(tenant, periods),
  };
}

const sorted = (rows: RollupRow[]) =>
  rows.map((r) => `${r.windowStart} ${r.group.model} ${[...r.values.values()].join(',')}`).sort();

beforeEach(() => {
  meter = compileCatalog(loadCatalogText(CATALOG, 'yaml')).meter('input_tokens') as Meter;
  rollup = rollupIdOf(meter);
  usage = new InMemoryUsage();
  ranges = [];
  now = NOW;
  for (let h = HOUR - 28 * DAY_MS; h <= HOUR; h += HOUR_MS) {
    usage.add('acme', meter, new Date(h).toISOString(), 1000, { model: 'gpt-4o' });
    usage.add('globex', meter, new Date(h).toISOString(), 500, { model: 'gpt-4o' });
  }
});

describe('SettledHistoryCache', () => {
  it('answers as the store does, reading the four weeks once and then only the last two hours', async () => {
    const cache = new SettledHistoryCache(recording(usage), { clock: () => now });
    const first = await cache.rollupRows('acme', rollup, FROM, TO);
    now += 5 * 60_000;
    usage.add('acme', meter, new Date(HOUR).toISOString(), 70); // the current hour grows
    const second = await cache.rollupRows('acme', rollup, FROM, TO);
    expect(sorted(second)).toEqual(sorted(await usage.rollupRows('acme', rollup, FROM, TO)));
    expect(sorted(second)).not.toEqual(sorted(first));
    expect(ranges).toEqual([
      '2026-11-02T10..2026-11-30T11', // everything, once
      '2026-11-30T08..2026-11-30T11', // then the hours not yet settled
    ]);
    expect(cache.size).toBe(28 * 24 - 2);
  });

  it('keeps tenants and rollups apart', async () => {
    const cache = new SettledHistoryCache(recording(usage), { clock: () => now });
    await cache.rollupRows('acme', rollup, FROM, TO);
    const globex = await cache.rollupRows('globex', rollup, FROM, TO);
    expect(sorted(globex)).toEqual(sorted(await usage.rollupRows('globex', rollup, FROM, TO)));
    expect(ranges).toHaveLength(2);
  });

  it('sees late rows in old hours after the refresh, and reads in full when the hour moves the window', async () => {
    const cache = new SettledHistoryCache(recording(usage), { clock: () => now });
    await cache.rollupRows('acme', rollup, FROM, TO);
    usage.add('acme', meter, new Date(HOUR - 5 * HOUR_MS).toISOString(), 9); // a late event, 5 hours back
    now += 30 * 60_000;
    const cached = await cache.rollupRows('acme', rollup, FROM, TO);
    expect(sorted(cached)).not.toEqual(sorted(await usage.rollupRows('acme', rollup, FROM, TO)));
    now = NOW + HOUR_MS; // refresh due (and a new hour: the window starts an hour later)
    const from = new Date(HOUR + HOUR_MS - 28 * DAY_MS).toISOString();
    const to = new Date(HOUR + 2 * HOUR_MS).toISOString();
    const refreshed = await cache.rollupRows('acme', rollup, from, to);
    expect(sorted(refreshed)).toEqual(sorted(await usage.rollupRows('acme', rollup, from, to)));
    expect(ranges.at(-1)).toBe('2026-11-02T11..2026-11-30T12');
  });

  it('reads in full a window reaching further back than what it holds', async () => {
    const cache = new SettledHistoryCache(recording(usage), { clock: () => now });
    await cache.rollupRows('acme', rollup, FROM, TO);
    const earlier = new Date(HOUR - 29 * DAY_MS).toISOString();
    await cache.rollupRows('acme', rollup, earlier, TO);
    expect(ranges.at(-1)).toBe(`${earlier.slice(0, 13)}..2026-11-30T11`);
  });

  it('holds at most maxRows: a tenant that does not fit is read in full each run, those held stay', async () => {
    const cache = new SettledHistoryCache(recording(usage), { clock: () => now, maxRows: 28 * 24 });
    for (let run = 0; run < 3; run++) {
      now = NOW + run * 5 * 60_000;
      await cache.rollupRows('acme', rollup, FROM, TO);
      const globex = await cache.rollupRows('globex', rollup, FROM, TO);
      expect(sorted(globex)).toEqual(sorted(await usage.rollupRows('globex', rollup, FROM, TO)));
    }
    expect(cache.size).toBe(28 * 24 - 2);
    expect(ranges).toEqual([
      '2026-11-02T10..2026-11-30T11', // acme, in full, kept
      '2026-11-02T10..2026-11-30T11', // globex, in full: no room
      '2026-11-30T08..2026-11-30T11',
      '2026-11-02T10..2026-11-30T11',
      '2026-11-30T08..2026-11-30T11',
      '2026-11-02T10..2026-11-30T11',
    ]);
  });

  it('makes room by dropping entries past their refresh', async () => {
    const cache = new SettledHistoryCache(recording(usage), { clock: () => now, maxRows: 28 * 24 });
    await cache.rollupRows('acme', rollup, FROM, TO);
    now = NOW + HOUR_MS;
    const from = new Date(HOUR + HOUR_MS - 28 * DAY_MS).toISOString();
    const to = new Date(HOUR + 2 * HOUR_MS).toISOString();
    await cache.rollupRows('globex', rollup, from, to); // acme's entry is stale: globex takes its place
    ranges = [];
    await cache.rollupRows('globex', rollup, from, to);
    expect(ranges).toEqual(['2026-11-30T09..2026-11-30T12']);
  });
});
