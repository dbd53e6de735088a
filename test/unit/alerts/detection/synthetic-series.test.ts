import { describe, expect, it } from 'vitest';
import {
  cleanSeasonalCase,
  dropCase,
  generateEvaluationSuite,
  ordinaryLevel,
  type SyntheticCase,
  seededRandom,
  spikeCase,
  tinyTenantCase,
} from '../../../../shared/alerts/detection/synthetic-series.js';
import { HOUR_MS } from '../../../../shared/time/windows.js';

const minVolume = 1000;

/** Each point inside `[startMs, endMs)` as a multiple of its undisturbed level. */
function multiples(testCase: SyntheticCase, startMs: number, endMs: number): number[] {
  const seriesStart = testCase.series.points[0]!.hourStart;
  return testCase.series.points
    .filter((p) => p.hourStart >= startMs && p.hourStart < endMs)
    .map((p) => p.value / ordinaryLevel(testCase.profile, seriesStart, p.hourStart));
}

describe('seededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const take = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    expect(take(42).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('synthetic cases', () => {
  it('are reproducible from their seed', () => {
    expect(spikeCase({ seed: 9, minVolume })).toEqual(spikeCase({ seed: 9, minVolume }));
    expect(cleanSeasonalCase({ seed: 9, minVolume }).series).not.toEqual(
      cleanSeasonalCase({ seed: 10, minVolume }).series,
    );
  });

  it('cover one tenant-month after the warm-up weeks', () => {
    const testCase = cleanSeasonalCase({ seed: 1, minVolume, warmupWeeks: 2 });
    const first = testCase.series.points[0]!.hourStart;
    expect(testCase.evaluateFromMs - first).toBe(2 * 168 * HOUR_MS);
    expect(testCase.evaluateToMs - testCase.evaluateFromMs).toBe(720 * HOUR_MS);
    expect(testCase.series.points.at(-1)!.hourStart).toBe(testCase.evaluateToMs - HOUR_MS);
  });

  it('keep ordinary hours within the noise and burst bounds of their level', () => {
    const testCase = cleanSeasonalCase({ seed: 2, minVolume, profile: { noise: 0.2, burstRate: 0 } });
    const all = multiples(testCase, 0, Number.MAX_SAFE_INTEGER);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...all)).toBeLessThanOrEqual(1.2);
  });

  it('grow at the profile weekly rate, compounding', () => {
    const { profile } = cleanSeasonalCase({ seed: 3, minVolume, profile: { weeklyGrowth: 0.05 } });
    const start = Date.UTC(2025, 0, 6);
    const week = 168 * HOUR_MS;
    expect(
      ordinaryLevel(profile, start, start + 4 * week) / ordinaryLevel(profile, start, start),
    ).toBeCloseTo(1.05 ** 4, 10);
  });

  it('inject sustained 5× spikes of at least 3 hours in the evaluated month, 3 days apart', () => {
    const testCase = spikeCase({ seed: 4, minVolume, spikes: 2, profile: { noise: 0.2, burstRate: 0 } });
    expect(testCase.incidents).toHaveLength(2);
    const [a, b] = testCase.incidents;
    expect(b!.startMs - a!.startMs).toBeGreaterThanOrEqual(72 * HOUR_MS);
    for (const incident of testCase.incidents) {
      expect(incident).toMatchObject({ kind: 'spike', expectAlert: true });
      expect(incident.startMs).toBeGreaterThanOrEqual(testCase.evaluateFromMs);
      expect(incident.endMs - incident.startMs).toBeGreaterThanOrEqual(3 * HOUR_MS);
      const inside = multiples(testCase, incident.startMs, incident.endMs);
      expect(Math.min(...inside)).toBeGreaterThanOrEqual(5 * 0.8);
      expect(Math.max(...inside)).toBeLessThanOrEqual(5 * 1.2);
    }
  });

  it('inject drops to at most 2% for at least 3 hours', () => {
    const testCase = dropCase({ seed: 5, minVolume, profile: { noise: 0.2, burstRate: 0 } });
    expect(testCase.incidents.length).toBeGreaterThan(0);
    for (const incident of testCase.incidents) {
      expect(incident.endMs - incident.startMs).toBeGreaterThanOrEqual(3 * HOUR_MS);
      expect(Math.max(...multiples(testCase, incident.startMs, incident.endMs))).toBeLessThanOrEqual(
        0.02 * 1.2,
      );
    }
  });

  it('keep tiny tenants under minVolume, their spike included, and expect no alert', () => {
    const testCase = tinyTenantCase({ seed: 6, minVolume });
    expect(Math.max(...testCase.series.points.map((p) => p.value))).toBeLessThan(minVolume);
    expect(testCase.incidents).toEqual([expect.objectContaining({ kind: 'spike', expectAlert: false })]);
  });
});

describe('generateEvaluationSuite', () => {
  it('makes the requested tenant-months and incidents', () => {
    const suite = generateEvaluationSuite({
      seed: 1,
      minVolume,
      cleanTenantMonths: 3,
      spikes: 5,
      drops: 3,
      tinyTenants: 2,
    });
    const count = (category: string) => suite.filter((c) => c.category === category).length;
    const incidents = (kind: string) =>
      suite.flatMap((c) => c.incidents).filter((i) => i.kind === kind && i.expectAlert).length;
    expect([count('clean'), count('tiny')]).toEqual([3, 2]);
    expect(incidents('spike')).toBe(5);
    expect(incidents('drop')).toBe(3);
  });
});
