/**
 * Alerts: what Tollgate tells people about a tenant's usage and spend, and about the pipeline.
 * One alert per incident: it opens once, is updated when the incident worsens, and resolves once
 * usage is back to normal. Its id is stable across detector re-runs and retries, so a subscriber
 * that sees a message twice can drop the repeat. See docs/alerts.md.
 */

export const ALERT_KINDS = [
  'usage_spike',
  'usage_drop',
  'spend_spike',
  'spend_drop',
  'entitlement_threshold',
  'spend_threshold',
  'credit_low',
  'credit_depleted',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATES = ['open', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What an alert message announces. */
export const ALERT_EVENTS = ['alert.opened', 'alert.updated', 'alert.resolved'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface AlertWindow {
  /** ISO-8601 UTC, inclusive. */
  readonly start: string;
  /** ISO-8601 UTC, exclusive. */
  readonly end: string;
}

/**
 * The message published to the alerts topic (SNS, JSON), version 1. Email subscribers get it as
 * is; the Slack notifier renders it as Block Kit. Documented in docs/alerts.md.
 */
export interface AlertMessage {
  readonly version: 1;
  readonly type: AlertEvent;
  /** Stable per incident: `al_` + 26 base32 characters. */
  readonly alertId: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  readonly tenant: string;
  /** The meter, or `spend` for spend alerts; absent for credit alerts. */
  readonly meter?: string;
  /** The series' dimension values (e.g. `{ model: "gpt-4o" }`); `{}` for the tenant's total. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Unit of `observed` and `expected` (the meter's unit, or the currency code for spend). */
  readonly unit: string;
  /** Decimal strings. */
  readonly observed: string;
  readonly expected?: string;
  /** observed / expected, rounded to 2 decimals (absent when nothing was expected). */
  readonly ratio?: number;
  /** The hour (or period) the numbers describe. */
  readonly window: AlertWindow;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly resolvedAt?: string;
  /** One line: what happened, to whom. */
  readonly title: string;
  /** A few sentences: how big, since when. */
  readonly summary: string;
  /** What to do about it. */
  readonly action: string;
  /** The series' last 24 hourly values, oldest first (for a sparkline); absent for threshold alerts. */
  readonly recent?: readonly number[];
  /** API paths (relative to the API's base URL). */
  readonly links: { readonly alert: string; readonly usage?: string };
}

export interface AlertHistoryEntry {
  readonly at: string;
  readonly event: AlertEvent | 'alert.acknowledged';
  readonly severity: AlertSeverity;
  readonly observed?: string;
  readonly expected?: string;
  readonly by?: string;
}

/**
 * What a run saw of an open spike's series, for the next run to measure the rate in between:
 * each series' usage since the start of `hour`, at `at`; and since when that rate has been
 * back within the band (absent while it is not).
 */
export interface RateWatch {
  readonly at: string;
  readonly hour: string;
  /** Per series (its meter key, or `spend`): its total from `hour` through `at`. */
  readonly values: Readonly<Record<string, number>>;
  readonly quietSince?: string;
}

/** The stored alert: the incident, its latest numbers, and its history. */
export interface Alert {
  readonly id: string;
  /** Identifies the series and kind; one open alert per incident key at a time. */
  readonly incidentKey: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  readonly tenant: string;
  readonly meter?: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit: string;
  readonly observed: string;
  readonly expected?: string;
  readonly ratio?: number;
  /** The largest ratio notified so far: an update is sent when the incident grows well past it. */
  readonly notifiedRatio?: number;
  readonly window: AlertWindow;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly resolvedAt?: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  /** Closed hours in a row that were normal (resolution needs `resolveAfterHours`). */
  readonly normalHours: number;
  /** The last closed hour evaluated (ISO): re-running the detector on it changes nothing. */
  readonly evaluatedHour: string;
  /** An open spike's recent rate, watched between runs so it resolves minutes after it ends. */
  readonly watch?: RateWatch;
  readonly history: readonly AlertHistoryEntry[];
  /**
   * The message this alert still owes its subscribers: set in the write that opens, updates or
   * resolves it, cleared once published. A run that finds it set publishes it first (at least
   * once; subscribers dedupe on alertId + type + updatedAt).
   */
  readonly pendingEvent?: AlertEvent;
  /** Optimistic concurrency: every write increments it, conditioned on the value read. */
  readonly version: number;
  readonly recent?: readonly number[];
  readonly title: string;
  readonly summary: string;
  readonly action: string;
}
