/**
 * Reads the body of an SNS message a notifier receives: an alert (`AlertMessage`, version 1,
 * `type` `alert.*`) from the alerts topic, or an entitlement threshold crossing from the
 * thresholds topic (`type` `entitlement.threshold_crossed`, version 1, the `ThresholdCrossing`
 * fields alongside). Both shapes are documented in docs/alerts.md.
 *
 * Fields the parser does not know are dropped, so a newer publisher can add one without failing
 * an older notifier. Anything else is an `InvalidNotificationError` naming the first bad field.
 * Pure.
 */
import * as z from 'zod';
import type { ThresholdCrossing } from '../metering/ports.js';
import { ALERT_EVENTS, ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATES, type AlertMessage } from './alert.js';

/** The `type` of a threshold crossing message (as `SnsThresholdPublisher` publishes it). */
export const THRESHOLD_NOTIFICATION_TYPE = 'entitlement.threshold_crossed';

/** A CloudWatch alarm's state change as SNS delivers it (the pipeline's health alarms). */
export interface AlarmNotification {
  readonly AlarmName: string;
  readonly AlarmDescription?: string | null | undefined;
  readonly NewStateValue: string;
  readonly OldStateValue?: string | undefined;
  readonly NewStateReason: string;
  readonly StateChangeTime: string;
  readonly Region?: string | undefined;
}

export type Notification =
  | { readonly kind: 'alert'; readonly message: AlertMessage }
  | { readonly kind: 'threshold'; readonly crossing: ThresholdCrossing }
  | { readonly kind: 'alarm'; readonly alarm: AlarmNotification };

const alarmSchema = z.object({
  AlarmName: z.string().min(1).max(255),
  AlarmDescription: z.string().max(1024).nullish(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  OldStateValue: z.string().max(64).optional(),
  NewStateReason: z.string().max(4000),
  StateChangeTime: z.string().min(1).max(64),
  Region: z.string().max(128).optional(),
});

/** A message body that is neither an alert nor a threshold crossing; `field` names what to fix (`''`: the body). */
export class InvalidNotificationError extends Error {
  override readonly name = 'InvalidNotificationError';
  readonly code = 'invalid_notification';

  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "1200" or "12.50"');
const instant = z.iso.datetime({ message: 'must be an ISO-8601 UTC date and time ending in Z' });
const text = (max: number) => z.string().min(1).max(max);
const labels = z.record(z.string().min(1).max(256), z.string().max(1024));

const alertSchema = z.object({
  version: z.literal(1),
  type: z.enum(ALERT_EVENTS),
  alertId: z.string().regex(/^al_[0-9a-z]{26}$/i, 'must be "al_" and 26 base32 characters'),
  kind: z.enum(ALERT_KINDS),
  severity: z.enum(ALERT_SEVERITIES),
  state: z.enum(ALERT_STATES),
  tenant: text(256),
  meter: text(256).exactOptional(),
  dimensions: labels,
  unit: z.string().max(64),
  observed: decimal,
  expected: decimal.exactOptional(),
  ratio: z.number().min(0).exactOptional(),
  window: z.object({ start: instant, end: instant }),
  startedAt: instant,
  updatedAt: instant,
  resolvedAt: instant.exactOptional(),
  title: text(1000),
  summary: z.string().max(10_000),
  action: z.string().max(10_000),
  recent: z
    .array(z.number())
    .max(24 * 31)
    .exactOptional(),
  links: z.object({ alert: text(2048), usage: text(2048).exactOptional() }),
});

const thresholdSchema = z.object({
  type: z.literal(THRESHOLD_NOTIFICATION_TYPE),
  version: z.literal(1),
  id: text(1024),
  tenant: text(256),
  entitlement: text(256),
  meter: text(256),
  mode: z.enum(['hard', 'soft']),
  percent: z.number().int().positive(),
  limit: decimal,
  used: decimal,
  overage: decimal,
  rejected: decimal,
  periodStart: instant,
  periodEnd: instant,
  scope: labels.exactOptional(),
  blocked: z.boolean(),
});

/** Reads an SNS message body; throws `InvalidNotificationError` naming the first bad field. Pure. */
export function parseNotification(snsMessage: string): Notification {
  let raw: unknown;
  try {
    raw = JSON.parse(snsMessage);
  } catch (error) {
    throw new InvalidNotificationError('', 'notification: the message is not JSON', { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidNotificationError('', 'notification: the message must be a JSON object');
  }
  if ('AlarmName' in raw && 'NewStateValue' in raw) {
    return { kind: 'alarm', alarm: parseWith(alarmSchema, raw) };
  }
  const type = (raw as Record<string, unknown>).type;
  if (typeof type === 'string' && type.startsWith('alert.')) {
    // Typed as the domain type: a compile error here means the schema drifted from it.
    const message: AlertMessage = parseWith(alertSchema, raw);
    return { kind: 'alert', message };
  }
  if (type === THRESHOLD_NOTIFICATION_TYPE) {
    const { type: _type, version: _version, ...fields } = parseWith(thresholdSchema, raw);
    const crossing: ThresholdCrossing = fields; // as above: drift is a compile error
    return { kind: 'threshold', crossing };
  }
  throw new InvalidNotificationError(
    'type',
    type === undefined
      ? 'notification: type: is required'
      : `notification: type: must be "alert.opened", "alert.updated", "alert.resolved" or "${THRESHOLD_NOTIFICATION_TYPE}"`,
  );
}

function parseWith<S extends z.ZodType>(schema: S, raw: object): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path ?? [];
  const field = path.map(String).join('.');
  const missing = valueAt(raw, path) === undefined;
  throw new InvalidNotificationError(
    field,
    `notification: ${field}: ${missing ? 'is required' : (issue?.message ?? 'is invalid')}`,
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
