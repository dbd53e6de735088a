import { parseQuarantineQuery } from '../../../shared/quarantine/quarantine-query.js';
import { parseRedriveInput } from '../../../shared/quarantine/redrive.js';
import { redriveQuarantined } from '../../../shared/quarantine/redrive-quarantined.js';
import { invalidInput, jsonResponse } from '../api-error.js';
import { quarantinedItemJson } from '../api-json.js';
import { forbidden } from '../auth.js';
import { type RouteHandler, readJsonBody } from '../route-context.js';

/** `GET /v1/quarantine?tenant=&reason=&limit=&cursor=`: newest first. */
export const listQuarantine: RouteHandler = async ({ request, deps, principal }) => {
  const query = parseQuarantineQuery(request.query);
  if (principal !== undefined && principal.role !== 'admin' && query.tenant !== principal.tenant) {
    throw forbidden(`tenant: this token may only list tenant=${principal.tenant}`, 'tenant');
  }
  const page = await deps.quarantine.list(query);
  return jsonResponse(200, {
    entries: page.entries.map(quarantinedItemJson),
    ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
  });
};

/**
 * `POST /v1/quarantine/redrive` (admin): puts the bytes of matching entries back on the stream
 * and marks them `redrivenAt`. The body (optional) is `{tenant?, reason?, limit?, dryRun?,
 * includeRedriven?}`.
 */
export const redriveQuarantine: RouteHandler = async ({ request, deps }) => {
  const parsed = parseRedriveInput(readJsonBody(request, { optional: true }));
  if (!parsed.ok) throw invalidInput('invalid_redrive_request', 'invalid redrive request', parsed.issues);
  const input = parsed.value;
  const report = await redriveQuarantined(
    { quarantine: deps.quarantine, ...deps.redrive, clock: deps.clock },
    input,
  );
  deps.logger.info('quarantine redrive', {
    tenant: input.tenant,
    reason: input.reason,
    limit: input.limit,
    dryRun: report.dryRun,
    matched: report.matched,
    redriven: report.redriven,
    failed: report.failed,
    requestId: request.requestId,
  });
  return jsonResponse(200, report);
};
