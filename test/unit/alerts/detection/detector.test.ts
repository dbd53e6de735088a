import { describe, expect, it } from 'vitest';
import { detectAnomalies, isNormal } from '../../../../shared/alerts/detection/detector.js';
import {
  DEFAULT_DETECTOR_OPTIONS,
  parseDetectorOptions,
} from '../../../../shared/alerts/detection/detector-options.js';
import {
  generateSeries,
  seededRandom,
  type TenantProfile,
} from '../../../../shared/alerts/detection/synthetic-series.js';
import {
  DAY_HOURS,
  flagged,
  flat,
  hour,
  inject,
  KEY,
  replayHours,
  runAfter,
  START_MS,
  seriesOf,
  WEEK_HOURS,
} from './detection-factory.js';

const options = DEFAULT_DETECTOR_OPTIONS;

/** A business-hours tenant: nights at 10% of the peak, weekends at half, ±20% noise. */
const business: TenantProfile = {
  peakLevel: 100_000,
  pattern: 'business',
  nightFactor: 0.1,
  weekendFactor: 0.5,
  utcOffsetHours: 0,
  noise: 0.2,
  burstRate: 0,
  weeklyGrowth: 0,
};

function businessSeries(hours: number, profile: Partial<TenantProfile> = {}) {
  return generateSeries({
    tenant: 'acme',
    startMs: START_MS,
    hours,
    profile: { ...business, ...profile },
    seed: 7,
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('detectAnomalies: spikes', () => {
  const spikeAt = 4 * WEEK_HOURS + 10;
  const values = inject(flat(10_000, 5 * WEEK_HOURS), spikeAt, 3, (v) => 5 * v);

  it('flags a 5× spike on a flat series in the first closed hour of the spike', () => {
    const [detection, ...rest] = detectAnomalies(seriesOf(values), options, runAfter(spikeAt));
    expect(rest).toEqual([]);
    expect(detection).toMatchObject({
      kind: 'spike',
      key: KEY,
      hourStart: hour(spikeAt),
      observed: 50_000,
      expected: 10_000,
      ratio: 5,
      severity: 'warning',
      baseline: 'hour_of_week',
    });
    expect(detection!.score).toBeGreaterThanOrEqual(options.sensitivity);
  });

  it('ignores the hour still in progress, even when its counter is already high', () => {
    const during = hour(spikeAt) + 30 * 60_000;
    expect(detectAnomalies(seriesOf(values), options, during)).toEqual([]);
  });

  it('flags every closed hour of a sustained spike and nothing after it', () => {
    const detections = replayHours(seriesOf(values), options, spikeAt - 24, spikeAt + 24);
    expect(flagged(detections)).toEqual([`spike@${spikeAt}`, `spike@${spikeAt + 1}`, `spike@${spikeAt + 2}`]);
  });

  it('calls a spike of at least twice spikeRatio critical', () => {
    const tenfold = inject(flat(10_000, 5 * WEEK_HOURS), spikeAt, 1, (v) => 10 * v);
    const [detection] = detectAnomalies(seriesOf(tenfold), options, runAfter(spikeAt));
    expect(detection).toMatchObject({ kind: 'spike', ratio: 10, severity: 'critical' });
  });

  it('flags usage waking up from a zero baseline with a large but finite ratio', () => {
    // Busy for a week, then silent at 03:00 for four weeks: 03:00's baseline is zero.
    const silentNights = flat(10_000, 5 * WEEK_HOURS).map((v, i) =>
      i >= WEEK_HOURS && i % 24 === 3 ? 0 : v,
    );
    const wake = 4 * WEEK_HOURS + 3;
    const [detection] = detectAnomalies(
      seriesOf(silentNights.map((v, i) => (i === wake ? 5000 : v))),
      options,
      runAfter(wake),
    );
    expect(detection).toMatchObject({ kind: 'spike', expected: 0, observed: 5000 });
    // expected is floored at minVolume / 100 = 10 for the ratio: 5000 / 10
    expect(detection!.ratio).toBe(500);
  });

  it('flags nothing before minHistoryHours of history since the first non-zero hour', () => {
    const young = inject([...flat(0, 100), ...flat(10_000, 40)], 130, 3, (v) => 5 * v);
    expect(replayHours(seriesOf(young), options, 100, 140)).toEqual([]);
    const withShortHistory = parseDetectorOptions({ minHistoryHours: 24 });
    expect(flagged(replayHours(seriesOf(young), withShortHistory, 100, 140))).toContain('spike@130');
  });

  it('does not flag an hour far out of band on an erratic series, though it flags it on a steady one', () => {
    const random = seededRandom(3);
    const at = 4 * WEEK_HOURS;
    const sameHourEachWeek = (i: number) => i % WEEK_HOURS === at % WEEK_HOURS;
    // Erratic: each hour anywhere from 0.05× to 20× its level (log-uniform), except that the hour
    // judged was exactly 10,000 in each earlier week, so its seasonal median is 10,000.
    const erratic = flat(10_000, 5 * WEEK_HOURS).map((v, i) =>
      sameHourEachWeek(i) ? v : v * 0.05 * 400 ** random(),
    );
    const steady = flat(10_000, 5 * WEEK_HOURS).map((v) => v * (0.95 + 0.1 * random()));
    // 46,000 is over 3 × expected even if the level factor is at its 3/2 clamp.
    const erraticHour = seriesOf(inject(erratic, at, 1, () => 46_000));
    const steadyHour = seriesOf(inject(steady, at, 1, () => 46_000));
    expect(isNormal(erraticHour, options, runAfter(at))).toBe(false);
    expect(detectAnomalies(erraticHour, options, runAfter(at))).toEqual([]);
    expect(detectAnomalies(steadyHour, options, runAfter(at)).map((d) => d.kind)).toEqual(['spike']);
  });

  it('keeps flagging a spike that lasts a whole day, rather than learning it as the new level', () => {
    const runaway = seriesOf(inject(flat(10_000, 5 * WEEK_HOURS), spikeAt, 30, (v) => 5 * v));
    const detections = replayHours(runaway, options, spikeAt, spikeAt + 30);
    expect(detections).toHaveLength(30);
    expect(isNormal(runaway, options, runAfter(spikeAt + 29))).toBe(false);
  });

  it('keys each detection by its series, such as a tenant spend series', () => {
    const spendKey = { tenant: 'acme', meter: 'spend', dimensions: {} };
    const [detection] = detectAnomalies(seriesOf(values, spendKey), options, runAfter(spikeAt));
    expect(detection!.key).toEqual(spendKey);
  });
});

describe('detectAnomalies: ordinary usage', () => {
  it('does not flag the peak hours of a daily cycle, with 3 days or 5 weeks of history', () => {
    const series = businessSeries(5 * WEEK_HOURS);
    const values = series.points.map((p) => p.value);
    // 10:00 is well over spikeRatio × the 12 hours before it: only seasonality keeps it quiet.
    const tenOClock = DAY_HOURS + 10;
    expect(values[tenOClock]).toBeGreaterThan(
      options.spikeRatio * median(values.slice(tenOClock - 12, tenOClock)),
    );
    expect(replayHours(series, options, 2 * DAY_HOURS, 3 * DAY_HOURS)).toEqual([]);
    expect(replayHours(series, options, 4 * WEEK_HOURS, 5 * WEEK_HOURS)).toEqual([]);
  });

  it('does not flag gradual growth of 5% a week over 8 weeks', () => {
    const series = businessSeries(8 * WEEK_HOURS, { weeklyGrowth: 0.05 });
    const weekTotal = (week: number) =>
      series.points.slice(week * WEEK_HOURS, (week + 1) * WEEK_HOURS).reduce((sum, p) => sum + p.value, 0);
    // 1.05^7 ≈ 1.41: the last week is well above the first.
    expect(weekTotal(7) / weekTotal(0)).toBeGreaterThan(1.35);
    expect(replayHours(series, options, 2 * DAY_HOURS, 8 * WEEK_HOURS)).toEqual([]);
  });

  it('never flags a tiny tenant below minVolume, even through a 5× spike and an outage', () => {
    const tiny = businessSeries(5 * WEEK_HOURS, { peakLevel: 150 });
    const spikeAt = 4 * WEEK_HOURS + 10;
    const values = inject(
      inject(
        tiny.points.map((p) => p.value),
        spikeAt,
        4,
        (v) => 5 * v,
      ),
      spikeAt + 48,
      4,
      () => 0,
    );
    const run = (minVolume: number) =>
      replayHours(seriesOf(values), parseDetectorOptions({ minVolume }), 4 * WEEK_HOURS, 5 * WEEK_HOURS);
    expect(run(1000)).toEqual([]);
    // The same series with a minVolume it reaches is flagged: the silence is minVolume's doing.
    expect(flagged(run(10))).toEqual(expect.arrayContaining([`spike@${spikeAt}`, `drop@${spikeAt + 49}`]));
  });

  it('does not flag the return to normal after a quiet day at 20% of usual', () => {
    const holiday = 4 * WEEK_HOURS;
    const series = seriesOf(inject(flat(10_000, 5 * WEEK_HOURS), holiday, DAY_HOURS, (v) => 0.2 * v));
    expect(replayHours(series, options, holiday, holiday + 2 * DAY_HOURS)).toEqual([]);
  });

  it('does not mistake ordinary usage for a spike after two outages in the same hour-of-week', () => {
    const at = 3 * WEEK_HOURS + 20;
    const values = inject(
      inject(flat(10_000, 4 * WEEK_HOURS), at - WEEK_HOURS, 1, () => 0),
      at - 2 * WEEK_HOURS,
      1,
      () => 0,
    );
    expect(detectAnomalies(seriesOf(values), options, runAfter(at))).toEqual([]);
  });
});

describe('detectAnomalies: drops', () => {
  const dropAt = 4 * WEEK_HOURS + 10;
  const base = flat(10_000, 5 * WEEK_HOURS);

  it('flags a drop to zero that lasts 2 closed hours, at its second hour', () => {
    const series = seriesOf(inject(base, dropAt, 2, () => 0));
    const detections = replayHours(series, options, dropAt - 24, dropAt + 24);
    expect(flagged(detections)).toEqual([`drop@${dropAt + 1}`]);
    expect(detections[0]).toMatchObject({ observed: 0, expected: 10_000, ratio: 0, severity: 'critical' });
  });

  it('does not flag a drop to zero that lasts 1 hour', () => {
    const series = seriesOf(inject(base, dropAt, 1, () => 0));
    expect(replayHours(series, options, dropAt - 24, dropAt + 24)).toEqual([]);
  });

  it('calls a drop to 5% a warning and a drop to 1% critical', () => {
    const to = (fraction: number) => seriesOf(inject(base, dropAt, 2, (v) => v * fraction));
    expect(detectAnomalies(to(0.05), options, runAfter(dropAt + 1))[0]?.severity).toBe('warning');
    expect(detectAnomalies(to(0.01), options, runAfter(dropAt + 1))[0]?.severity).toBe('critical');
  });

  it('adds up the evidence of a drop on a noisy series until its score reaches sensitivity', () => {
    const random = seededRandom(11);
    // ±40% noise: two hours of outage are not enough evidence at the default sensitivity.
    const noisy = base.map((v) => v * (0.6 + 0.8 * random()));
    const series = seriesOf(inject(noisy, dropAt, 8, () => 0));
    const detections = (sensitivity: number) =>
      replayHours(series, parseDetectorOptions({ sensitivity }), dropAt, dropAt + 8);
    expect(flagged(detections(3))[0]).toBe(`drop@${dropAt + 1}`);
    const [first] = detections(options.sensitivity);
    expect(first!.hourStart).toBeGreaterThan(hour(dropAt + 1));
    expect(first!.hourStart).toBeLessThan(hour(dropAt + 8));
    expect(first!.score).toBeGreaterThanOrEqual(options.sensitivity);
  });

  it('does not flag a drop where the expected volume is under minVolume', () => {
    const small = seriesOf(inject(flat(500, 5 * WEEK_HOURS), dropAt, 4, () => 0));
    expect(replayHours(small, options, dropAt, dropAt + 4)).toEqual([]);
  });
});

describe('isNormal', () => {
  const spikeAt = 4 * WEEK_HOURS + 10;
  const values = inject(flat(10_000, 5 * WEEK_HOURS), spikeAt, 3, (v) => 5 * v);

  it('is false while a spike lasts and true once the first ordinary hour has closed', () => {
    const series = seriesOf(values);
    expect(isNormal(series, options, runAfter(spikeAt - 1))).toBe(true);
    expect(isNormal(series, options, runAfter(spikeAt))).toBe(false);
    expect(isNormal(series, options, runAfter(spikeAt + 2))).toBe(false);
    expect(isNormal(series, options, runAfter(spikeAt + 3))).toBe(true);
  });

  it('keeps an incident open while the ratio sits between spikeRatio / 1.5 and spikeRatio (hysteresis)', () => {
    // 2.5× is no longer a spike (< 3) but not yet normal (≥ 2).
    const easing = seriesOf(inject(values, spikeAt + 3, 1, (v) => 2.5 * v));
    expect(detectAnomalies(easing, options, runAfter(spikeAt + 3))).toEqual([]);
    expect(isNormal(easing, options, runAfter(spikeAt + 3))).toBe(false);
  });

  it('is false during an outage and true once usage is back above dropRatio × 2', () => {
    const outage = seriesOf(inject(flat(10_000, 5 * WEEK_HOURS), spikeAt, 3, () => 0));
    expect(isNormal(outage, options, runAfter(spikeAt + 1))).toBe(false);
    expect(isNormal(outage, options, runAfter(spikeAt + 3))).toBe(true);
  });
});
