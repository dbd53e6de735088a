/**
 * Which Slack channels a message goes to. The notifier's webhook secret (or, locally,
 * `TOLLGATE_SLACK_WEBHOOK_URL` / `TOLLGATE_SLACK_ROUTES_FILE`) holds either one incoming-webhook
 * URL, which gets every message, or a routing document:
 *
 * ```json
 * { "routes": [
 *   { "name": "oncall",  "webhookUrl": "https://hooks.slack.com/services/…", "minSeverity": "critical" },
 *   { "name": "acme-cs", "webhookUrl": "https://hooks.slack.com/services/…", "tenants": ["acme"] },
 *   { "name": "billing", "webhookUrl": "https://hooks.slack.com/services/…", "kinds": ["spend_spike", "spend_threshold"] }
 * ] }
 * ```
 *
 * A message goes to every route it matches (each URL once); a route matches when each filter it
 * sets does: `tenants` (pipeline alarms have no tenant and match only routes without it),
 * `minSeverity` (info < warning < critical), `kinds` (alert kinds, `entitlement_threshold`, or
 * `pipeline_alarm`). A message no route matches is dropped, and logged. Pure: parsing names the
 * first bad field, and never repeats a URL (a credential) in an error.
 */
import { ALERT_KINDS, ALERT_SEVERITIES, type AlertSeverity } from './alert.js';
import type { Notification } from './notification.js';

export const ROUTE_KINDS = [...ALERT_KINDS, 'pipeline_alarm'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export interface SlackRoute {
  readonly name: string;
  readonly webhookUrl: string;
  readonly tenants?: readonly string[];
  readonly minSeverity?: AlertSeverity;
  readonly kinds?: readonly RouteKind[];
}

export interface SlackRouting {
  readonly routes: readonly SlackRoute[];
}

/** What a message is, for routing. */
export interface SlackTarget {
  readonly tenant?: string;
  readonly severity: AlertSeverity;
  readonly kind: RouteKind;
}

export class SlackRoutingError extends Error {
  override readonly name = 'SlackRoutingError';

  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** The value a webhook secret holds while Slack is not set up. */
export const SLACK_NOT_CONFIGURED = 'none';

const MAX_ROUTES = 50;
const RANK: Readonly<Record<AlertSeverity, number>> = { info: 0, warning: 1, critical: 2 };

function isWebhookUrl(value: string, allowHttp: boolean): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  } catch {
    return false;
  }
}

function stringList(value: unknown, field: string, allowed?: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new SlackRoutingError(field, 'must be a non-empty array of strings');
  }
  return value.map((item, i) => {
    if (typeof item !== 'string' || item === '') {
      throw new SlackRoutingError(`${field}[${i}]`, 'must be a non-empty string');
    }
    if (allowed !== undefined && !allowed.includes(item)) {
      throw new SlackRoutingError(
        `${field}[${i}]`,
        `must be one of ${allowed.join(', ')}: ${JSON.stringify(item)}`,
      );
    }
    return item;
  });
}

function parseRoute(value: unknown, i: number, allowHttp: boolean): SlackRoute {
  const at = `routes[${i}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SlackRoutingError(at, 'must be an object');
  }
  const record = value as Record<string, unknown>;
  const known = ['name', 'webhookUrl', 'tenants', 'minSeverity', 'kinds'];
  const unknown = Object.keys(record).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new SlackRoutingError(`${at}.${unknown}`, 'unknown field');
  const { name, webhookUrl, tenants, minSeverity, kinds } = record;
  if (name !== undefined && (typeof name !== 'string' || name === '' || name.length > 64)) {
    throw new SlackRoutingError(`${at}.name`, 'must be a string of 1 to 64 characters');
  }
  if (typeof webhookUrl !== 'string' || !isWebhookUrl(webhookUrl, allowHttp)) {
    throw new SlackRoutingError(`${at}.webhookUrl`, 'must be an https:// URL (a Slack incoming webhook)');
  }
  if (minSeverity !== undefined && !ALERT_SEVERITIES.includes(minSeverity as AlertSeverity)) {
    throw new SlackRoutingError(`${at}.minSeverity`, `must be one of ${ALERT_SEVERITIES.join(', ')}`);
  }
  return {
    name: typeof name === 'string' ? name : `route ${i + 1}`,
    webhookUrl,
    ...(tenants === undefined ? {} : { tenants: stringList(tenants, `${at}.tenants`) }),
    ...(minSeverity === undefined ? {} : { minSeverity: minSeverity as AlertSeverity }),
    ...(kinds === undefined ? {} : { kinds: stringList(kinds, `${at}.kinds`, ROUTE_KINDS) as RouteKind[] }),
  };
}

/**
 * The routing a secret (or file) holds; `undefined` when it holds nothing or `none` (Slack not
 * configured). `allowHttp` admits http:// URLs (local tests against a local server).
 */
export function parseSlackRouting(
  text: string,
  options: { allowHttp?: boolean } = {},
): SlackRouting | undefined {
  const allowHttp = options.allowHttp ?? false;
  const value = text.trim();
  if (value === '' || value.toLowerCase() === SLACK_NOT_CONFIGURED) return undefined;
  if (!value.startsWith('{')) {
    if (!isWebhookUrl(value, allowHttp)) {
      throw new SlackRoutingError(
        'webhook',
        'must be an https:// URL, a routing document ({"routes": [...]}) or none',
      );
    }
    return { routes: [{ name: 'default', webhookUrl: value }] };
  }
  let document: unknown;
  try {
    document = JSON.parse(value);
  } catch {
    throw new SlackRoutingError('routing', 'is not valid JSON');
  }
  const record = document as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => key !== 'routes');
  if (unknown !== undefined) throw new SlackRoutingError(unknown, 'unknown field');
  const { routes } = record;
  if (!Array.isArray(routes) || routes.length === 0 || routes.length > MAX_ROUTES) {
    throw new SlackRoutingError('routes', `must be an array of 1 to ${MAX_ROUTES} routes`);
  }
  return { routes: routes.map((route, i) => parseRoute(route, i, allowHttp)) };
}

function matches(route: SlackRoute, target: SlackTarget): boolean {
  if (
    route.tenants !== undefined &&
    (target.tenant === undefined || !route.tenants.includes(target.tenant))
  ) {
    return false;
  }
  if (route.minSeverity !== undefined && RANK[target.severity] < RANK[route.minSeverity]) return false;
  return route.kinds === undefined || route.kinds.includes(target.kind);
}

/** The routes `target` goes to, in order, each webhook URL once. */
export function routesFor(routing: SlackRouting, target: SlackTarget): SlackRoute[] {
  const seen = new Set<string>();
  return routing.routes.filter((route) => {
    if (!matches(route, target) || seen.has(route.webhookUrl)) return false;
    seen.add(route.webhookUrl);
    return true;
  });
}

/** A notification's routing target: an alert as it is; a crossing by its percent; an alarm by its state. */
export function slackTargetOf(notification: Notification): SlackTarget {
  if (notification.kind === 'alert') {
    const { tenant, severity, kind } = notification.message;
    return { tenant, severity, kind };
  }
  if (notification.kind === 'threshold') {
    const { tenant, percent, blocked } = notification.crossing;
    const severity: AlertSeverity =
      blocked || percent >= 100 ? 'critical' : percent >= 80 ? 'warning' : 'info';
    return { tenant, severity, kind: 'entitlement_threshold' };
  }
  return {
    severity: notification.alarm.NewStateValue === 'ALARM' ? 'critical' : 'info',
    kind: 'pipeline_alarm',
  };
}
