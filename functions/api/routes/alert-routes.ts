/** Alerts over the API: the history of incidents, filterable, and acknowledging one. */
import * as z from 'zod';
import { ALERT_STATES, type Alert } from '../../../shared/alerts/alert.js';
import { ALERT_ID_PATTERN } from '../../../shared/alerts/incident.js';
import type { AlertStore } from '../../../shared/alerts/ports.js';
import { isTenantId } from '../../../shared/catalog/tenant-profile.js';
import { ListingError } from '../../../shared/invoicing/ports.js';
import { toIso } from '../../../shared/time/windows.js';
import { ApiError, invalidInput, jsonResponse } from '../api-error.js';
import { forbidden } from '../auth.js';
import { type RouteContext, type RouteHandler, readJsonBody } from '../route-context.js';

type AlertRouteHandler = (
  context: RouteContext,
  alerts: AlertStore,
) => Promise<ReturnType<typeof jsonResponse>>;

function withAlerts(handle: AlertRouteHandler): RouteHandler {
  return async (context) => {
    const alerts = context.deps.alerts;
    if (alerts === undefined) {
      const { method, path } = context.request;
      throw new ApiError(404, 'not_found', `path: no route ${method.toUpperCase()} ${path}`, 'path');
    }
    try {
      return await handle(context, alerts);
    } catch (error) {
      if (error instanceof ListingError) throw new ApiError(400, error.code, error.message, error.field);
      throw error;
    }
  };
}

const listSchema = z.strictObject({
  tenant: z.string().refine(isTenantId, 'must be 1–128 characters of A-Z a-z 0-9 . _ : @ -').optional(),
  state: z.enum(ALERT_STATES).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be a whole number from 1 to 100')
    .optional(),
  cursor: z.string().min(1).max(2048).optional(),
});

function issuesOf(error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || 'query',
    message: issue.code === 'unrecognized_keys' ? 'unknown parameter' : issue.message,
  }));
}

export function alertJson(alert: Alert) {
  const {
    incidentKey: _,
    pendingEvent: __,
    version: ___,
    normalHours: ____,
    evaluatedHour: _____,
    watch: ______,
    ...rest
  } = alert;
  return rest;
}

/**
 * `GET /v1/alerts?tenant=&state=open|resolved&limit=&cursor=`: newest first. Without `tenant`,
 * the alerts of every tenant in `state` (default `open`; admin only). A tenant token must name
 * its own tenant.
 */
export const listAlerts = withAlerts(async ({ request, principal }, alerts) => {
  const parsed = listSchema.safeParse(
    Object.fromEntries(Object.entries(request.query).filter(([, v]) => v !== undefined)),
  );
  if (!parsed.success)
    throw invalidInput('invalid_alert_query', 'invalid alert query', issuesOf(parsed.error));
  const query = parsed.data;
  if (principal !== undefined && principal.role !== 'admin' && query.tenant !== principal.tenant) {
    throw forbidden(`tenant: this token may only list tenant=${principal.tenant}`, 'tenant');
  }
  const page = await alerts.list({
    ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    ...(query.state === undefined ? {} : { state: query.state }),
    limit: query.limit ?? 50,
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  });
  return jsonResponse(200, {
    alerts: page.alerts.map(alertJson),
    ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
  });
});

async function requireAlert(context: RouteContext, alerts: AlertStore): Promise<Alert> {
  const id = context.params.id ?? '';
  if (!ALERT_ID_PATTERN.test(id)) {
    throw new ApiError(400, 'invalid_alert_id', 'id: must be an alert id (al_ and 26 characters)', 'id');
  }
  const alert = await alerts.get(id);
  const principal = context.principal;
  // Another tenant's alert answers as one that does not exist.
  if (
    alert === undefined ||
    (principal !== undefined && principal.role !== 'admin' && principal.tenant !== alert.tenant)
  ) {
    throw new ApiError(404, 'alert_not_found', `id: no alert "${id}"`, 'id');
  }
  return alert;
}

/** `GET /v1/alerts/{id}`: the alert and its history. */
export const getAlert = withAlerts(async (context, alerts) =>
  jsonResponse(200, alertJson(await requireAlert(context, alerts))),
);

const ackSchema = z.strictObject({
  by: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
});

/** `POST /v1/alerts/{id}/ack` `{ by }`: records who acknowledged it (once; a repeat changes nothing). */
export const acknowledgeAlert = withAlerts(async (context, alerts) => {
  const parsed = ackSchema.safeParse(readJsonBody(context.request));
  if (!parsed.success)
    throw invalidInput('invalid_acknowledgement', 'invalid acknowledgement', issuesOf(parsed.error));
  for (let attempt = 0; attempt < 3; attempt++) {
    const alert = await requireAlert(context, alerts);
    if (alert.acknowledgedAt !== undefined) return jsonResponse(200, alertJson(alert));
    const at = toIso(context.deps.clock());
    const acknowledged: Alert = {
      ...alert,
      acknowledgedAt: at,
      acknowledgedBy: parsed.data.by,
      version: alert.version + 1,
      history: [
        ...alert.history,
        { at, event: 'alert.acknowledged', severity: alert.severity, by: parsed.data.by },
      ],
    };
    if (await alerts.update(acknowledged)) return jsonResponse(200, alertJson(acknowledged));
  }
  throw new ApiError(409, 'alert_changed', 'id: the alert kept changing; try again', 'id');
});
