import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_OPTIONS } from '../../../../shared/alerts/detection/detector-options.js';
import {
  type EvaluationCase,
  evaluateDetector,
  formatEvaluation,
  type GroundTruthIncident,
} from '../../../../shared/alerts/detection/evaluate.js';
import { flat, hour, inject, seriesOf, WEEK_HOURS } from './detection-factory.js';

const options = DEFAULT_DETECTOR_OPTIONS;
const at = 4 * WEEK_HOURS + 10;
const base = flat(10_000, 5 * WEEK_HOURS);

function caseOf(
  category: string,
  values: readonly number[],
  incidents: readonly GroundTruthIncident[] = [],
): EvaluationCase {
  return {
    category,
    series: seriesOf(values, { tenant: `${category}-tenant`, meter: 'tokens', dimensions: {} }),
    evaluateFromMs: hour(4 * WEEK_HOURS),
    evaluateToMs: hour(5 * WEEK_HOURS),
    incidents,
  };
}

function incident(
  kind: 'spike' | 'drop',
  from: number,
  hours: number,
  expectAlert = true,
): GroundTruthIncident {
  return { kind, startMs: hour(from), endMs: hour(from + hours), expectAlert };
}

describe('evaluateDetector', () => {
  it('counts a spike flagged in its first hour as caught, and its flagged hours as one alert', () => {
    const spike = caseOf(
      'spike',
      inject(base, at, 3, (v) => 5 * v),
      [incident('spike', at, 3)],
    );
    const report = evaluateDetector([spike], options);
    expect(report.spikes).toEqual({ incidents: 1, caught: 1, late: 0, recall: 1, meanDelayHours: 0 });
    expect(report.alerts).toEqual({ total: 1, matched: 1, unmatched: 0 });
    expect(report.precision).toBe(1);
  });

  it('counts a spike first flagged in its third hour as late, not caught', () => {
    // Two hours at 2× (not yet a spike), then 5×: the incident started with the ramp.
    const ramp = inject(
      inject(base, at, 2, (v) => 2 * v),
      at + 2,
      3,
      (v) => 5 * v,
    );
    const report = evaluateDetector([caseOf('spike', ramp, [incident('spike', at, 5)])], options);
    expect(report.spikes).toMatchObject({ incidents: 1, caught: 0, late: 1, recall: 0 });
  });

  it('counts a drop flagged in its second hour as caught with a delay of one hour', () => {
    const drop = caseOf(
      'drop',
      inject(base, at, 4, () => 0),
      [incident('drop', at, 4)],
    );
    expect(evaluateDetector([drop], options).drops).toEqual({
      incidents: 1,
      caught: 1,
      late: 0,
      recall: 1,
      meanDelayHours: 1,
    });
  });

  it('counts an unlabelled spike on a clean series as one false alert per run of hours', () => {
    const clean = caseOf(
      'clean',
      inject(
        inject(base, at, 3, (v) => 5 * v),
        at + 48,
        1,
        (v) => 5 * v,
      ),
    );
    const report = evaluateDetector([clean], options);
    expect(report.alerts).toEqual({ total: 2, matched: 0, unmatched: 2 });
    expect(report.falseAlerts.map((a) => [a.kind, a.hourStart, a.hours])).toEqual([
      ['spike', hour(at), 3],
      ['spike', hour(at + 48), 1],
    ]);
    // 2 false alerts in 168 evaluated hours: 2 / (168 / 720) per tenant-month
    expect(report.tenantMonths.clean).toBeCloseTo(168 / 720, 10);
    expect(report.falseAlertsPerCleanTenantMonth).toBeCloseTo((2 * 720) / 168, 10);
    expect(report.precision).toBe(0);
  });

  it('counts any alert on a tiny tenant, and an alert on an incident expected to stay silent is false', () => {
    const loud = caseOf(
      'tiny',
      inject(base, at, 3, (v) => 5 * v),
      [incident('spike', at, 3, false)],
    );
    const report = evaluateDetector([loud], options);
    expect(report.tinyTenantAlerts).toBe(1);
    expect(report.alerts).toEqual({ total: 1, matched: 0, unmatched: 1 });
    expect(report.spikes.incidents).toBe(0);
  });

  it('formats the report as a markdown table with the targets beside the measures', () => {
    const spike = caseOf(
      'spike',
      inject(base, at, 3, (v) => 5 * v),
      [incident('spike', at, 3)],
    );
    const table = formatEvaluation(evaluateDetector([spike, caseOf('clean', base)], options));
    const lines = table.split('\n');
    expect(lines.slice(0, 2)).toEqual(['| Measure | Target | Measured |', '| --- | --- | --- |']);
    expect(table).toContain(
      '| 5× spikes flagged within 1 hour of their start (recall, n = 1) | ≥ 0.95 | 1.000 (1 caught, 0 late, mean delay 0.00 h) |',
    );
    expect(table).toContain('| ≤ 1 | 0.000 (0 alerts) |');
  });
});
