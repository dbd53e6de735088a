import { parseQuarantineQuery } from '../../../shared/quarantine/quarantine-query.js';
import { jsonResponse } from '../api-error.js';
import { quarantinedItemJson } from '../api-json.js';
import { forbidden } from '../auth.js';
import type { RouteHandler } from '../route-context.js';

/** `GET /v1/quarantine?tenant=&reason=&limit=&cursor=`: newest first. */
export const listQuarantine: RouteHandler = async ({ request, deps, principal }) => {
  const query = parseQuarantineQuery(request.query);
  if (principal?.role === 'tenant' && query.tenant !== principal.tenant) {
    throw forbidden(`tenant: this token may only list tenant=${principal.tenant}`, 'tenant');
  }
  const page = await deps.quarantine.list(query);
  return jsonResponse(200, {
    entries: page.entries.map(quarantinedItemJson),
    ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
  });
};
