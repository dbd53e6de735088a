/**
 * A rollup reader for the detector that reads the settled past once an hour instead of every
 * run. Each run judges the latest closed hour and the current one against four weeks of history;
 * at one run every 5 minutes, re-reading those four weeks would be ~12 identical reads an hour.
 * This decorator keeps, per tenant and rollup, the rows of hours older than `recentHours` (the
 * settled past) for up to `refreshMs`, and reads only the recent hours from the store on each
 * call; after `refreshMs` it reads everything again, so late events in older hours are picked
 * up within that time (they move baselines, never the hours being judged). Memory is bounded
 * (a row takes about 900 bytes): an entry that does not fit under `maxRows` is not kept, and that
 * tenant is read in full each run. Entries are not evicted for newcomers: the detector visits
 * every tenant in the same order each run, and least-recently-used eviction under such a scan
 * would drop each tenant just before its next visit, caching nothing (measured). Stale entries
 * (past `refreshMs`) make room. Entitlement rows are passed through. Pure apart from the
 * wrapped port.
 */
import { HOUR_MS, toIso } from '../time/windows.js';
import type { EntitlementPeriodKey, EntitlementRow, RollupRow, UsageReader } from './ports.js';

export interface SettledHistoryCacheOptions {
  readonly clock: () => number;
  /** Hours before the current one that are always read fresh (default 2: the hour being judged and its predecessor). */
  readonly recentHours?: number;
  /** How long the settled past is kept before it is read again in full (default one hour). */
  readonly refreshMs?: number;
  /** Cached rows in all, across tenants (default 300,000: about 270 MB). */
  readonly maxRows?: number;
}

interface Entry {
  /** The settled rows cover [fromIso, settledIso). */
  readonly fromIso: string;
  readonly settledIso: string;
  readonly rows: readonly RollupRow[];
  readonly readAt: number;
}

export class SettledHistoryCache implements UsageReader {
  private readonly entries = new Map<string, Entry>();
  private cachedRows = 0;
  private readonly recentHours: number;
  private readonly refreshMs: number;
  private readonly maxRows: number;

  constructor(
    private readonly inner: UsageReader,
    private readonly options: SettledHistoryCacheOptions,
  ) {
    this.recentHours = options.recentHours ?? 2;
    this.refreshMs = options.refreshMs ?? HOUR_MS;
    this.maxRows = options.maxRows ?? 300_000;
  }

  /** Rows held now (for tests and the benchmark). */
  get size(): number {
    return this.cachedRows;
  }

  async rollupRows(
    tenant: string,
    rollupId: string,
    fromIso: string,
    untilIso: string,
  ): Promise<RollupRow[]> {
    const now = this.options.clock();
    const settledIso = toIso(Math.floor(now / HOUR_MS) * HOUR_MS - this.recentHours * HOUR_MS);
    const key = `${tenant}\u0000${rollupId}`;
    const entry = this.entries.get(key);
    if (
      entry !== undefined &&
      now - entry.readAt < this.refreshMs &&
      entry.fromIso <= fromIso &&
      fromIso < entry.settledIso &&
      entry.settledIso <= untilIso
    ) {
      const settled = entry.rows.filter((row) => row.windowStart >= fromIso);
      const recent = await this.inner.rollupRows(tenant, rollupId, entry.settledIso, untilIso);
      return [...settled, ...recent];
    }
    const rows = await this.inner.rollupRows(tenant, rollupId, fromIso, untilIso);
    if (settledIso > fromIso && settledIso <= untilIso) {
      this.store(key, {
        fromIso,
        settledIso,
        rows: rows.filter((row) => row.windowStart < settledIso),
        readAt: now,
      });
    }
    return rows;
  }

  entitlementRows(tenant: string, periods?: readonly EntitlementPeriodKey[]): Promise<EntitlementRow[]> {
    return this.inner.entitlementRows(tenant, periods);
  }

  private store(key: string, entry: Entry): void {
    this.drop(key);
    if (this.cachedRows + entry.rows.length > this.maxRows) {
      for (const [other, held] of this.entries) {
        if (entry.readAt - held.readAt >= this.refreshMs) this.drop(other);
      }
    }
    if (this.cachedRows + entry.rows.length > this.maxRows) return;
    this.entries.set(key, entry);
    this.cachedRows += entry.rows.length;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.cachedRows -= entry.rows.length;
  }
}
