import type { Meter } from '../catalog/catalog.js';

/**
 * Keys of counter items (see docs/data-model.md). Meters that share an event type and a
 * `groupBy` list and add up (SUM, COUNT, UNIQUE_COUNT) share one rollup item per window and
 * group, so one write records all of them.
 */
export function rollupIdOf(meter: Meter): string {
  const dims = [...meter.groupBy].sort().join(',');
  const base = `${meter.eventType}|${dims}`;
  return isAdditive(meter) ? base : `${base}|${meter.key}`;
}

export function isAdditive(meter: Pick<Meter, 'aggregation'>): boolean {
  return meter.aggregation === 'SUM' || meter.aggregation === 'COUNT' || meter.aggregation === 'UNIQUE_COUNT';
}

export function rollupPk(tenant: string, rollupId: string): string {
  return `R#${tenant}#${rollupId}`;
}

export function rollupSk(windowStartIso: string, groupKey: string): string {
  return `${windowStartIso}#${groupKey}`;
}

/** Dimension values of an event for the given dimension names; a missing one is ''. */
export function groupOf(
  dimensions: readonly string[],
  data: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const group: Record<string, string> = {};
  for (const name of dimensions) {
    const value = data[name];
    group[name] = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  }
  return group;
}

/** Canonical text of a group: names sorted, values URI-encoded. */
export function groupKeyOf(group: Readonly<Record<string, string>>): string {
  return Object.keys(group)
    .sort()
    .map((name) => `${name}=${encodeURIComponent(group[name] ?? '')}`)
    .join('&');
}

export function valueAttribute(meterKey: string): string {
  return `m_${meterKey}`;
}

export function uniqueAttribute(meterKey: string): string {
  return `u_${meterKey}`;
}

/** Set when a UNIQUE_COUNT's distinct values outgrew the item: its count is a lower bound. */
export function overflowAttribute(meterKey: string): string {
  return `o_${meterKey}`;
}

export function latestTimeAttribute(meterKey: string): string {
  return `t_${meterKey}`;
}

export function entitlementPk(tenant: string): string {
  return `E#${tenant}`;
}

export function scopeKeyOf(scope: Readonly<Record<string, string>> | undefined): string {
  if (scope === undefined) return '*';
  return groupKeyOf(scope);
}

export function entitlementSk(entitlementKey: string, periodStartIso: string, scopeKey: string): string {
  return `${entitlementKey}#${periodStartIso}#${scopeKey}`;
}

export function eventClaimKey(subject: string, id: string): string {
  return `e#${subject}#${id}`;
}

export function envelopeClaimKey(tenant: string, envelopeId: string): string {
  return `v#${tenant}#${envelopeId}`;
}

/** The tenant named by a partition key: the part before any `#N` salt. */
export function tenantOfPartitionKey(partitionKey: string): string {
  const hash = partitionKey.indexOf('#');
  return hash === -1 ? partitionKey : partitionKey.slice(0, hash);
}
