/**
 * The life of an alert, decided once per closed hour and series: open on the first anomalous
 * hour; update when the incident worsens (higher severity, or the ratio grows by `updateFactor`
 * past what was last notified); stay quiet while it merely continues; resolve after
 * `resolveAfterHours` normal hours in a row. Re-evaluating an hour already evaluated changes
 * nothing, so detector re-runs and retries never send a second message. Pure.
 */
import { stableId, stableIdPattern } from '../ids/stable-id.js';
import type { Alert, AlertEvent, AlertKind, AlertSeverity, AlertWindow } from './alert.js';

export interface IncidentOptions {
  /** Normal closed hours in a row before an open alert resolves (default 2). */
  readonly resolveAfterHours: number;
  /** An update is sent when the ratio reaches this multiple of the last notified ratio (default 2). */
  readonly updateFactor: number;
  /**
   * A spike also resolves once its rate, measured between detector runs, has been back within
   * the band for this many minutes (default 30), without waiting for whole normal hours.
   * See quiet-resolution.ts.
   */
  readonly resolveAfterQuietMinutes: number;
}

export const DEFAULT_INCIDENT_OPTIONS: IncidentOptions = {
  resolveAfterHours: 2,
  updateFactor: 2,
  resolveAfterQuietMinutes: 30,
};

/** What the detector saw in one closed hour of one series. */
export interface HourFinding {
  readonly incidentKey: string;
  readonly kind: AlertKind;
  readonly tenant: string;
  readonly meter?: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit: string;
  readonly window: AlertWindow;
  /** Present when the hour is anomalous. */
  readonly anomaly?: {
    readonly severity: AlertSeverity;
    readonly observed: string;
    readonly expected: string;
    readonly ratio: number;
  };
  /** The hour is back within the normal band (with hysteresis); ignored when anomalous. */
  readonly normal: boolean;
  readonly recent?: readonly number[];
  readonly texts: (alert: {
    severity: AlertSeverity;
    observed: string;
    expected?: string;
    ratio?: number;
    startedAt: string;
  }) => {
    title: string;
    summary: string;
    action: string;
  };
}

export type IncidentStep =
  | { readonly action: 'none' }
  /** Write without a message (the hour was evaluated; counters of normal hours moved). */
  | { readonly action: 'record'; readonly alert: Alert }
  | { readonly action: 'open' | 'update' | 'resolve'; readonly alert: Alert; readonly event: AlertEvent };

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { info: 0, warning: 1, critical: 2 };

/** The stable id of the incident that starts at `startedAt`: `al_` + 26 base32 characters. */
export function alertIdOf(incidentKey: string, startedAt: string): string {
  return stableId('al', incidentKey, startedAt);
}

export const ALERT_ID_PATTERN = stableIdPattern('al');

/**
 * The next step of the incident of `finding`, given its current alert (open, or the last resolved
 * one). `provisional`: the finding is the current hour so far (projected), not a closed hour: it
 * may open an incident or update one that worsened, but records nothing else and leaves the
 * hour to be judged when it closes.
 */
export function stepIncident(
  current: Alert | undefined,
  finding: HourFinding,
  nowIso: string,
  options: IncidentOptions = DEFAULT_INCIDENT_OPTIONS,
  provisional = false,
): IncidentStep {
  const hour = finding.window.start;
  const open = current?.state === 'open' ? current : undefined;
  if (open !== undefined && !provisional && open.evaluatedHour >= hour) return { action: 'none' };
  // A projection says nothing new about a spike whose rate has already fallen back (its first
  // minutes, scaled up, would only exaggerate what is over).
  if (
    open !== undefined &&
    provisional &&
    (finding.anomaly === undefined || open.watch?.quietSince !== undefined)
  ) {
    return { action: 'none' };
  }
  const anomaly = finding.anomaly;

  if (open === undefined) {
    if (anomaly === undefined) return { action: 'none' };
    // A resolved incident's hour cannot open a new one twice either.
    if (current !== undefined && current.evaluatedHour >= hour) return { action: 'none' };
    const startedAt = hour;
    const texts = finding.texts({ ...anomaly, startedAt });
    const alert: Alert = {
      id: alertIdOf(finding.incidentKey, startedAt),
      incidentKey: finding.incidentKey,
      kind: finding.kind,
      severity: anomaly.severity,
      state: 'open',
      tenant: finding.tenant,
      ...(finding.meter === undefined ? {} : { meter: finding.meter }),
      dimensions: finding.dimensions,
      unit: finding.unit,
      observed: anomaly.observed,
      expected: anomaly.expected,
      ratio: anomaly.ratio,
      notifiedRatio: anomaly.ratio,
      window: finding.window,
      startedAt,
      updatedAt: nowIso,
      normalHours: 0,
      evaluatedHour: hour,
      history: [
        {
          at: nowIso,
          event: 'alert.opened',
          severity: anomaly.severity,
          observed: anomaly.observed,
          expected: anomaly.expected,
        },
      ],
      version: 1,
      ...(finding.recent === undefined ? {} : { recent: finding.recent }),
      ...texts,
    };
    return { action: 'open', alert: { ...alert, pendingEvent: 'alert.opened' }, event: 'alert.opened' };
  }

  const base = {
    ...open,
    evaluatedHour: provisional ? open.evaluatedHour : hour,
    version: open.version + 1,
    ...(finding.recent === undefined ? {} : { recent: finding.recent }),
  };
  if (anomaly !== undefined) {
    const worse =
      SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[open.severity] ||
      worsened(anomaly.ratio, open.notifiedRatio ?? open.ratio ?? 1, options.updateFactor, open.kind);
    const latest = {
      ...base,
      severity:
        SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[open.severity] ? anomaly.severity : open.severity,
      observed: anomaly.observed,
      expected: anomaly.expected,
      ratio: anomaly.ratio,
      window: finding.window,
      normalHours: provisional ? open.normalHours : 0,
    };
    if (!worse) return provisional ? { action: 'none' } : { action: 'record', alert: latest };
    const texts = finding.texts({ ...anomaly, startedAt: open.startedAt });
    return {
      action: 'update',
      event: 'alert.updated',
      alert: {
        ...latest,
        ...texts,
        notifiedRatio: anomaly.ratio,
        updatedAt: nowIso,
        pendingEvent: 'alert.updated',
        history: [
          ...open.history,
          {
            at: nowIso,
            event: 'alert.updated',
            severity: latest.severity,
            observed: anomaly.observed,
            expected: anomaly.expected,
          },
        ],
      },
    };
  }
  const normalHours = finding.normal ? open.normalHours + 1 : 0;
  if (normalHours < options.resolveAfterHours) return { action: 'record', alert: { ...base, normalHours } };
  return {
    action: 'resolve',
    event: 'alert.resolved',
    alert: {
      ...base,
      normalHours,
      state: 'resolved',
      resolvedAt: finding.window.end,
      updatedAt: nowIso,
      pendingEvent: 'alert.resolved',
      history: [...open.history, { at: nowIso, event: 'alert.resolved', severity: open.severity }],
    },
  };
}

/** A spike worsens as its ratio grows; a drop as its ratio shrinks toward zero. */
function worsened(ratio: number, notified: number, factor: number, kind: AlertKind): boolean {
  if (kind.endsWith('_drop')) return ratio * factor <= notified && notified > 0;
  return ratio >= notified * factor;
}
