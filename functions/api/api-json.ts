/** JSON shapes of the API's answers (quantities as decimal strings, bytes as base64). */
import type { Entitlement } from '../../shared/catalog/catalog.js';
import type { TenantProfile } from '../../shared/catalog/tenant-profile.js';
import { formatQuantity } from '../../shared/decimal/quantity.js';
import type { QuarantinedItem } from '../../shared/quarantine/quarantine-query.js';

export function profileJson(profile: TenantProfile) {
  const overrides = Object.entries(profile.overrides ?? {});
  return {
    tenant: profile.tenant,
    plan: profile.plan,
    status: profile.status,
    ...(profile.billingAnchor === undefined ? {} : { billingAnchor: profile.billingAnchor }),
    ...(profile.billingStart === undefined ? {} : { billingStart: profile.billingStart }),
    ...(profile.graceHours === undefined ? {} : { graceHours: profile.graceHours }),
    ...(profile.spendAlerts === undefined ? {} : { spendAlerts: profile.spendAlerts }),
    ...(profile.planHistory === undefined ? {} : { planHistory: profile.planHistory }),
    overrides: Object.fromEntries(
      overrides.map(([key, { limit }]) => [key, { limit: formatQuantity(limit) }]),
    ),
  };
}

export function entitlementJson(entitlement: Entitlement, overridden: boolean) {
  return {
    key: entitlement.key,
    meter: entitlement.meter,
    limit: formatQuantity(entitlement.limit),
    overridden,
    period: entitlement.period,
    mode: entitlement.mode,
    thresholds: [...entitlement.thresholds],
    ...(entitlement.scope === undefined ? {} : { scope: entitlement.scope }),
  };
}

export function quarantinedItemJson(item: QuarantinedItem) {
  const { bytes, ...rest } = item;
  return { ...rest, ...(bytes === undefined ? {} : { bytes: Buffer.from(bytes).toString('base64') }) };
}
