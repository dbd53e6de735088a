import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Detection,
  detectAnomalies,
  detectAnomaliesInHours,
} from '../../../../shared/alerts/detection/detector.js';
import {
  type DetectorOptions,
  parseDetectorOptions,
} from '../../../../shared/alerts/detection/detector-options.js';
import { type HourlySeries, toHourlyValues } from '../../../../shared/alerts/detection/hourly-series.js';
import {
  type DailyPattern,
  generateSeries,
  type InjectedIncident,
} from '../../../../shared/alerts/detection/synthetic-series.js';
import { HOUR_MS } from '../../../../shared/time/windows.js';
import { runAfter, START_MS } from './detection-factory.js';

/** A seasonal series of 1–5 weeks plus 2 days, with up to 3 spikes or drops in its last 3 days. */
const seriesArbitrary = fc
  .record({
    weeks: fc.integer({ min: 1, max: 5 }),
    peakLevel: fc.double({ min: 500, max: 1e6, noNaN: true }),
    pattern: fc.constantFrom<DailyPattern>('business', 'evening', 'always_on'),
    nightFactor: fc.double({ min: 0, max: 1, noNaN: true }),
    weekendFactor: fc.double({ min: 0.2, max: 1.2, noNaN: true }),
    noise: fc.double({ min: 0, max: 0.5, noNaN: true }),
    weeklyGrowth: fc.constantFrom(0, 0.05, 0.3),
    seed: fc.integer(),
    incidents: fc.array(
      fc.record({
        kind: fc.constantFrom<'spike' | 'drop'>('spike', 'drop'),
        hoursBeforeEnd: fc.integer({ min: 1, max: 72 }),
        hours: fc.integer({ min: 1, max: 12 }),
        factor: fc.double({ min: 0, max: 10, noNaN: true }),
      }),
      { maxLength: 3 },
    ),
  })
  .map((spec) => {
    const hours = spec.weeks * 168 + 48;
    const incidents: InjectedIncident[] = spec.incidents.map((incident) => ({
      kind: incident.kind,
      startMs: START_MS + (hours - incident.hoursBeforeEnd) * HOUR_MS,
      hours: incident.hours,
      factor: incident.kind === 'spike' ? incident.factor : incident.factor / 100,
    }));
    return {
      hours,
      series: generateSeries({
        tenant: 'acme',
        startMs: START_MS,
        hours,
        incidents,
        seed: spec.seed,
        profile: { ...spec, utcOffsetHours: 0, burstRate: 0.01 },
      }),
    };
  });

const optionsArbitrary = fc.record({
  minVolume: fc.double({ min: 100, max: 10_000, noNaN: true }),
  evaluateHours: fc.integer({ min: 1, max: 3 }),
});

/** What the job flags, run after each of the last 72 hours closes. */
function replay(series: HourlySeries, hours: number, options: DetectorOptions, shiftHours = 0): Detection[] {
  const detections: Detection[] = [];
  for (let i = hours - 72; i < hours; i++) {
    detections.push(...detectAnomalies(series, options, runAfter(i + shiftHours)));
  }
  return detections;
}

function summary(detections: readonly Detection[]): string[] {
  return detections.map((d) => `${d.kind} ${d.severity} ${d.baseline} @${d.hourStart}`);
}

function scaled(series: HourlySeries, c: number): HourlySeries {
  return { ...series, points: series.points.map((p) => ({ ...p, value: p.value * c })) };
}

describe('detectAnomalies laws', () => {
  it('flags the same hours when the series and minVolume are scaled by the same constant', () => {
    const constant = fc.oneof(
      fc.integer({ min: -20, max: 20 }).map((k) => 2 ** k),
      fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
    );
    let runsWithDetections = 0;
    fc.assert(
      fc.property(seriesArbitrary, optionsArbitrary, constant, ({ series, hours }, input, c) => {
        const options = parseDetectorOptions(input);
        const scaledOptions = parseDetectorOptions({ ...input, minVolume: input.minVolume * c });
        const original = replay(series, hours, options);
        if (original.length > 0) runsWithDetections++;
        const after = replay(scaled(series, c), hours, scaledOptions);
        expect(summary(after)).toEqual(summary(original));
        after.forEach((d, i) => {
          expect(d.observed).toBeCloseTo(original[i]!.observed * c, 6);
          expect(d.ratio).toBeCloseTo(original[i]!.ratio, 9);
        });
      }),
      { numRuns: 60 },
    );
    // The law is only worth something if the series generated do get flagged.
    expect(runsWithDetections).toBeGreaterThan(10);
  });

  it('flags the same hours after a history of zeros is put before the series', () => {
    let runsWithDetections = 0;
    fc.assert(
      fc.property(
        seriesArbitrary,
        optionsArbitrary,
        fc.integer({ min: 1, max: 2000 }),
        ({ series, hours }, input, zeros) => {
          const options = parseDetectorOptions(input);
          if (replay(series, hours, options).length > 0) runsWithDetections++;
          const shift = zeros * HOUR_MS;
          const later = series.points.map((p) => ({ ...p, hourStart: p.hourStart + shift }));
          const padded: HourlySeries = {
            ...series,
            points: [
              ...Array.from({ length: zeros }, (_, i) => ({ hourStart: START_MS + i * HOUR_MS, value: 0 })),
              ...later,
            ],
          };
          const original = replay(series, hours, options).map((d) => ({
            ...d,
            hourStart: d.hourStart + shift,
          }));
          expect(replay(padded, hours, options, zeros)).toEqual(original);
        },
      ),
      { numRuns: 60 },
    );
    expect(runsWithDetections).toBeGreaterThan(10);
  });

  it('never looks past the latest closed hour', () => {
    fc.assert(
      fc.property(
        seriesArbitrary,
        optionsArbitrary,
        fc.integer({ min: 1, max: 72 }),
        fc.integer({ min: 0, max: HOUR_MS - 1 }),
        ({ series, hours }, input, hoursBeforeEnd, intoHour) => {
          const options = parseDetectorOptions(input);
          const closedEnd = START_MS + (hours - hoursBeforeEnd) * HOUR_MS;
          const known: HourlySeries = {
            ...series,
            points: series.points.filter((p) => p.hourStart < closedEnd),
          };
          const nowMs = closedEnd + intoHour;
          expect(detectAnomalies(series, options, nowMs)).toEqual(detectAnomalies(known, options, nowMs));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('finds the same detections on dense hours as on the points they come from', () => {
    fc.assert(
      fc.property(seriesArbitrary, optionsArbitrary, ({ series, hours }, input) => {
        const options = parseDetectorOptions(input);
        const dense = toHourlyValues(series.points, START_MS, START_MS + hours * HOUR_MS);
        for (let i = hours - 24; i < hours; i++) {
          expect(detectAnomaliesInHours(series.key, dense, options, runAfter(i))).toEqual(
            detectAnomalies(series, options, runAfter(i)),
          );
        }
      }),
      { numRuns: 60 },
    );
  });
});
