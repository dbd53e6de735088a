import { HOUR_MS, toIso } from '../time/windows.js';
import type { AlertKind, AlertSeverity } from './alert.js';
import type { Detection } from './detection/detector.js';
import type { DetectorOptions } from './detection/detector-options.js';
import type { HourlySeries } from './detection/hourly-series.js';
import type { HourFinding } from './incident.js';

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 4 : 2).replace(/\.?0+$/, '');
}

/** `input_tokens (model gpt-4o)`, or `spend`. */
function describe(key: HourlySeries['key']): string {
  const dims = Object.entries(key.dimensions).map(([k, v]) => `${k} ${v}`);
  return `${key.meter}${dims.length > 0 ? ` (${dims.join(', ')})` : ''}`;
}

function textsFor(
  kind: AlertKind,
  tenant: string,
  subject: string,
  unit: string,
  projection?: { readonly minutes: number; readonly sliding: boolean; readonly soFar: number },
) {
  return (alert: {
    severity: AlertSeverity;
    observed: string;
    expected?: string;
    ratio?: number;
    startedAt: string;
  }) => {
    const ratio = alert.ratio === undefined ? '' : `${alert.ratio.toFixed(1)}×`;
    const since = `${alert.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
    const spike = kind.endsWith('_spike');
    return {
      title: spike
        ? `${tenant}: ${subject} is ${ratio} its normal level`
        : `${tenant}: ${subject} dropped to ${ratio} of its normal level`,
      summary:
        projection === undefined
          ? `${subject} was ${alert.observed} ${unit} in the last hour against ${alert.expected ?? '?'} ${unit} expected for that hour, since ${since}.`
          : projection.sliding
            ? `${subject} was about ${alert.observed} ${unit} over the last 60 minutes (${formatNumber(projection.soFar)} ${unit} in this hour's first ${projection.minutes} minutes) against ${alert.expected ?? '?'} ${unit} expected, since ${since}.`
            : `${subject} is on pace for ${alert.observed} ${unit} this hour (${formatNumber(projection.soFar)} ${unit} in its first ${projection.minutes} minutes, projected) against ${alert.expected ?? '?'} ${unit} expected, since ${since}.`,
      action: spike
        ? 'Check for a runaway agent, a retry loop or unbatched embeddings in this tenant; its entitlements and the upcoming invoice show what it costs.'
        : 'Check the producer of these events: a broken SDK, a revoked ingest key or a stopped service loses revenue. Quarantine (GET /v1/quarantine) shows rejected events.',
    };
  };
}

/** Spend series are grouped apart from the event types. */
export const SPEND_GROUP = 'spend';

/** The incident key of a tenant's `kind` alerts on a group (event type, or spend) and dimension value. */
export function incidentKeyFor(tenant: string, kind: AlertKind, group: string, dimKey: string): string {
  return `${tenant}|${kind}|${group}|${dimKey}`;
}

export interface Evaluated {
  readonly series: HourlySeries;
  readonly unit: string;
  /** The meter's event type (its meters spike together), or `spend`. */
  readonly group: string;
  /** The series' dimension values as a group key (`''` for a meter's total). */
  readonly dimKey: string;
  readonly detection: Detection | undefined;
  /** The options the series was judged with (spend has its own minimum volume). */
  readonly options: DetectorOptions;
  /** The current hour's spike so far: projected from `minutes`, or over the sliding hour ending now. */
  readonly projected?: {
    readonly detection: Detection;
    readonly minutes: number;
    readonly sliding: boolean;
    /** The hour's usage so far, as the usage API gives it. */
    readonly soFar: number;
  };
  readonly normal: boolean;
  readonly recent: number[];
}

/**
 * One finding per incident scope and kind, not per series: a runaway agent lifts input, output
 * and cached tokens (one event type), each per model and workspace, and the spend with them;
 * paging once per series would be a storm. So per event type and dimension value, the series
 * with the largest ratio speaks for the rest (named in its summary); a dimension value is
 * watched apart only while its meter's total is not itself anomalous; and spend alerts only
 * when usage is not (a switch to a dearer model shows in spend while token counts look normal).
 * `projected`: judge the current hour so far (its `projected` detections) instead of `hour`'s.
 */
export function groupFindings(
  evaluated: readonly Evaluated[],
  hour: number,
  projected = false,
): HourFinding[] {
  const detectionOf = (e: Evaluated): Detection | undefined =>
    projected ? e.projected?.detection : e.detection;
  const groups = new Map<string, Evaluated[]>();
  for (const e of evaluated) {
    const id = `${e.group}\u0000${e.dimKey}`;
    groups.set(id, [...(groups.get(id) ?? []), e]);
  }
  const anomalousTotals = new Set<string>();
  let usageAnomalous = new Set<string>();
  for (const e of evaluated) {
    const d = detectionOf(e);
    if (d === undefined || e.group === SPEND_GROUP) continue;
    usageAnomalous = usageAnomalous.add(d.kind);
    if (e.dimKey === '') anomalousTotals.add(`${e.group}\u0000${d.kind}`);
  }
  const findings: HourFinding[] = [];
  for (const members of groups.values()) {
    const first = members[0];
    if (first === undefined) continue;
    for (const kind of ['spike', 'drop'] as const) {
      const suppressed =
        (first.dimKey !== '' && anomalousTotals.has(`${first.group}\u0000${kind}`)) ||
        (first.group === SPEND_GROUP && usageAnomalous.has(kind));
      const hits = suppressed
        ? []
        : members
            .map((e) => ({ e, d: detectionOf(e) }))
            .filter((x): x is { e: Evaluated; d: Detection } => x.d?.kind === kind)
            .sort((a, b) => (kind === 'spike' ? b.d.ratio - a.d.ratio : a.d.ratio - b.d.ratio));
      const lead = hits[0];
      const speaker = lead?.e ?? first;
      const spend = first.group === SPEND_GROUP;
      const alertKind: AlertKind = spend ? `spend_${kind}` : `usage_${kind}`;
      const { key } = speaker.series;
      const subject = describe(key);
      const others = hits.slice(1).map((x) => `${describe(x.e.series.key)} ${x.d.ratio.toFixed(1)}×`);
      const texts = textsFor(
        alertKind,
        key.tenant,
        subject,
        speaker.unit,
        projected ? lead?.e.projected : undefined,
      );
      findings.push({
        incidentKey: incidentKeyFor(key.tenant, alertKind, first.group, first.dimKey),
        kind: alertKind,
        tenant: key.tenant,
        meter: key.meter,
        dimensions: key.dimensions,
        unit: speaker.unit,
        window: { start: toIso(hour), end: toIso(hour + HOUR_MS) },
        ...(lead === undefined
          ? {}
          : {
              anomaly: {
                severity: lead.d.severity,
                observed: formatNumber(lead.d.observed),
                expected: formatNumber(lead.d.expected),
                ratio: lead.d.ratio,
              },
            }),
        normal: members.every((e) => e.normal),
        recent: speaker.recent,
        texts:
          others.length === 0
            ? texts
            : (alert) => {
                const base = texts(alert);
                return { ...base, summary: `${base.summary} Also: ${others.join(', ')}.` };
              },
      });
    }
  }
  return findings;
}
