import { currentEntitlementPeriods, entitlementsView } from '../../../shared/usage/entitlements-view.js';
import { queryUsage } from '../../../shared/usage/query-usage.js';
import { jsonResponse } from '../api-error.js';
import { type RouteHandler, requireActiveCatalog, requireTenant } from '../route-context.js';

/** `GET /v1/tenants/{tenant}/usage?meter=&from=&to=&groupBy=&windowSize=` */
export const getUsage: RouteHandler = async ({ request, deps, params }) => {
  const profile = await requireTenant(deps, params.tenant ?? '');
  const { compiled } = await requireActiveCatalog(deps);
  const { query } = request;
  const report = await queryUsage(
    deps.usage,
    compiled,
    {
      tenant: profile.tenant,
      meter: query.meter,
      from: query.from,
      to: query.to,
      groupBy: query.groupBy,
      windowSize: query.windowSize,
    },
    deps.clock(),
  );
  return jsonResponse(200, report);
};

/** `GET /v1/tenants/{tenant}/entitlements`: standing against each entitlement this period. */
export const getEntitlements: RouteHandler = async ({ deps, params }) => {
  const profile = await requireTenant(deps, params.tenant ?? '');
  const { compiled } = await requireActiveCatalog(deps);
  const now = deps.clock();
  const periods = currentEntitlementPeriods(compiled, profile, now);
  const rows = await deps.usage.entitlementRows(profile.tenant, periods);
  return jsonResponse(200, entitlementsView(compiled, profile, rows, now));
};
