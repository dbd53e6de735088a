/**
 * Synthetic hourly series with known incidents, to measure the detector (evaluate.ts). Pure and
 * reproducible: every generator takes a seed and uses its own PRNG, never `Math.random`.
 *
 * A tenant's ordinary usage is a daily cycle in its local time (business hours, evening
 * consumer use, or always-on agents), lower at weekends, compounding weekly growth, and
 * multiplicative noise (uniform ±15–25%, plus an occasional 1.3–1.8× burst in 1% of hours, as a
 * batch job makes). Injected incidents multiply it: a spike by 5 for 3–8 hours, a drop by 0–2%
 * for 3–12 hours. Incidents are placed where the undisturbed level makes them alertable (see
 * `placeIncidents`); tiny tenants stay below minVolume even during their spike.
 */
import { HOUR_MS } from '../../time/windows.js';
import type { EvaluationCase, GroundTruthIncident } from './evaluate.js';
import type { HourlyPoint, HourlySeries } from './hourly-series.js';

/** A PRNG returning numbers in [0, 1): mulberry32, seeded by a 32-bit integer. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seed for the `index`-th item derived from `seed`, so suites can grow without reshuffling. */
export function deriveSeed(seed: number, index: number): number {
  return Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
}

export type DailyPattern = 'business' | 'evening' | 'always_on';

/** Weight of each local hour between the night level (0) and the daily peak (1). */
const DAILY_SHAPES: Readonly<Record<DailyPattern, readonly number[]>> = {
  business: [
    0, 0, 0, 0, 0, 0, 0.05, 0.3, 0.7, 0.95, 1, 1, 0.85, 0.95, 1, 1, 0.95, 0.8, 0.55, 0.35, 0.25, 0.15, 0.08,
    0.02,
  ],
  evening: [
    0.3, 0.15, 0.05, 0, 0, 0, 0.05, 0.15, 0.3, 0.4, 0.45, 0.5, 0.55, 0.5, 0.5, 0.55, 0.6, 0.7, 0.85, 0.95, 1,
    1, 0.85, 0.6,
  ],
  always_on: [
    0.3, 0.2, 0.1, 0, 0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1, 1, 1, 0.9, 0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.5, 0.4,
    0.4,
  ],
};

export interface TenantProfile {
  /** Hourly volume at a weekday peak hour, at the series' start. */
  readonly peakLevel: number;
  readonly pattern: DailyPattern;
  /** The quietest hour as a fraction of the peak. */
  readonly nightFactor: number;
  /** Saturday and Sunday (local) as a fraction of a weekday. */
  readonly weekendFactor: number;
  /** Local time = UTC + this many hours. */
  readonly utcOffsetHours: number;
  /** Half-width of the uniform multiplicative noise (0.2: ×0.8 to ×1.2). */
  readonly noise: number;
  /** Probability that an hour has a 1.3–1.8× burst. */
  readonly burstRate: number;
  /** Compounding growth per week (0.05: +5% a week). */
  readonly weeklyGrowth: number;
}

export interface InjectedIncident {
  readonly kind: 'spike' | 'drop';
  readonly startMs: number;
  readonly hours: number;
  /** Spike: the multiplier (5). Drop: the largest fraction of usage left (0.02). */
  readonly factor: number;
}

export interface SeriesSpec {
  readonly tenant: string;
  readonly meter?: string;
  /** Epoch ms on a whole hour. */
  readonly startMs: number;
  readonly hours: number;
  readonly profile: TenantProfile;
  readonly incidents?: readonly InjectedIncident[];
  readonly seed: number;
}

/** Monday 2025-01-06T00:00Z: synthetic series start within the week after it. */
export const SYNTHETIC_EPOCH_MS = Date.UTC(2025, 0, 6);
const WEEK_MS = 168 * HOUR_MS;
const MONTH_HOURS = 720;

/** The undisturbed mean of the hour starting at `hourStart` (no noise, no incident). */
export function ordinaryLevel(profile: TenantProfile, startMs: number, hourStart: number): number {
  const local = hourStart + profile.utcOffsetHours * HOUR_MS;
  const hourOfDay = new Date(local).getUTCHours();
  const dayOfWeek = new Date(local).getUTCDay();
  const weight = DAILY_SHAPES[profile.pattern][hourOfDay]!;
  const daily = profile.nightFactor + (1 - profile.nightFactor) * weight;
  const weekly = dayOfWeek === 0 || dayOfWeek === 6 ? profile.weekendFactor : 1;
  const growth = (1 + profile.weeklyGrowth) ** ((hourStart - startMs) / WEEK_MS);
  return profile.peakLevel * daily * weekly * growth;
}

/** One hourly point per hour of the spec: ordinary usage with noise, times its incidents. */
export function generateSeries(spec: SeriesSpec): HourlySeries {
  const random = seededRandom(spec.seed);
  const { profile } = spec;
  const points: HourlyPoint[] = [];
  for (let i = 0; i < spec.hours; i++) {
    const hourStart = spec.startMs + i * HOUR_MS;
    let value = ordinaryLevel(profile, spec.startMs, hourStart) * (1 + profile.noise * (2 * random() - 1));
    if (random() < profile.burstRate) value *= 1.3 + 0.5 * random();
    for (const incident of spec.incidents ?? []) {
      if (hourStart < incident.startMs || hourStart >= incident.startMs + incident.hours * HOUR_MS) continue;
      value *= incident.kind === 'spike' ? incident.factor : incident.factor * random();
    }
    points.push({ hourStart, value });
  }
  return { key: { tenant: spec.tenant, meter: spec.meter ?? 'tokens', dimensions: {} }, points };
}

function between(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A plausible tenant: pattern, shape, weekend, time zone, noise and growth drawn at random. */
export function randomProfile(random: Random, peakLevel: number): TenantProfile {
  const pattern = pick<DailyPattern>(random, ['business', 'business', 'evening', 'always_on']);
  return {
    peakLevel,
    pattern,
    nightFactor: pattern === 'always_on' ? between(random, 0.4, 0.8) : between(random, 0.05, 0.4),
    weekendFactor: pattern === 'business' ? between(random, 0.35, 0.8) : between(random, 0.8, 1.2),
    utcOffsetHours: Math.round(between(random, -8, 9)),
    noise: between(random, 0.15, 0.25),
    burstRate: 0.01,
    weeklyGrowth: pick(random, [0, 0, 0, 0, 0, 0.02, 0.02, 0.05, 0.05, 0.05]),
  };
}

export interface CaseSpec {
  readonly seed: number;
  /** The detector's minVolume: incidents are placed, and tiny tenants sized, against it. */
  readonly minVolume: number;
  /** Weeks of history before the evaluated month (0: a tenant that starts with it). */
  readonly warmupWeeks?: number;
  /** Fixed profile fields (e.g. `{ weeklyGrowth: 0.05 }`). */
  readonly profile?: Partial<TenantProfile>;
}

export type CaseCategory = 'clean' | 'spike' | 'drop' | 'tiny';

/** A series, the hours to evaluate it on (one tenant-month), and its ground truth. */
export interface SyntheticCase extends EvaluationCase {
  readonly category: CaseCategory;
  readonly profile: TenantProfile;
}

interface Frame {
  readonly random: Random;
  readonly profile: TenantProfile;
  readonly startMs: number;
  readonly evaluateFromMs: number;
  readonly evaluateToMs: number;
}

/** Start, warm-up and profile of a case: warm-up 0, 1, 2 or 5 weeks (70% have 5) unless given. */
function frameOf(spec: CaseSpec, peakLevel: (random: Random) => number): Frame {
  const random = seededRandom(spec.seed);
  const warmupWeeks = spec.warmupWeeks ?? pick(random, [0, 1, 2, 5, 5, 5, 5, 5, 5, 5]);
  const startMs = SYNTHETIC_EPOCH_MS + Math.floor(random() * 168) * HOUR_MS;
  const profile = { ...randomProfile(random, peakLevel(random)), ...spec.profile };
  const evaluateFromMs = startMs + warmupWeeks * WEEK_MS;
  return { random, profile, startMs, evaluateFromMs, evaluateToMs: evaluateFromMs + MONTH_HOURS * HOUR_MS };
}

function logUniform(random: Random, low: number, high: number): number {
  return low * (high / low) ** random();
}

function buildCase(
  spec: CaseSpec,
  category: CaseCategory,
  frame: Frame,
  injected: readonly InjectedIncident[],
  expectAlert: boolean,
): SyntheticCase {
  const series = generateSeries({
    tenant: `${category}-${spec.seed >>> 0}`,
    startMs: frame.startMs,
    hours: (frame.evaluateToMs - frame.startMs) / HOUR_MS,
    profile: frame.profile,
    incidents: injected,
    seed: Math.floor(frame.random() * 2 ** 32),
  });
  const incidents: GroundTruthIncident[] = injected.map((incident) => ({
    kind: incident.kind,
    startMs: incident.startMs,
    endMs: incident.startMs + incident.hours * HOUR_MS,
    expectAlert,
  }));
  return {
    category,
    series,
    evaluateFromMs: frame.evaluateFromMs,
    evaluateToMs: frame.evaluateToMs,
    incidents,
    profile: frame.profile,
  };
}

/**
 * `count` incident starts in the evaluated month, at least 72 hours apart, 3 days after the
 * series starts (so the detector has history) and a day before the month ends. A start is kept
 * only if `alertable` holds for it, so a spike at an hour where even 5× stays under minVolume is
 * not counted as a miss: below minVolume, silence is the intended behaviour.
 */
function placeIncidents(frame: Frame, count: number, alertable: (startMs: number) => boolean): number[] {
  const earliest = Math.max(frame.evaluateFromMs, frame.startMs + 72 * HOUR_MS);
  const slots = (frame.evaluateToMs - 24 * HOUR_MS - earliest) / HOUR_MS;
  const starts: number[] = [];
  for (let attempt = 0; starts.length < count && attempt < 10_000; attempt++) {
    const startMs = earliest + Math.floor(frame.random() * slots) * HOUR_MS;
    if (starts.some((other) => Math.abs(other - startMs) < 72 * HOUR_MS)) continue;
    if (alertable(startMs)) starts.push(startMs);
  }
  return starts.sort((a, b) => a - b);
}

/** Ordinary usage only; peaks 2–1000 × minVolume. */
export function cleanSeasonalCase(spec: CaseSpec): SyntheticCase {
  const frame = frameOf(spec, (random) => logUniform(random, 2 * spec.minVolume, 1000 * spec.minVolume));
  return buildCase(spec, 'clean', frame, [], false);
}

/**
 * `spikes` (default 2) sustained spikes of `factor` (default 5) × usage for 3–8 hours each, at
 * hours where the spike reaches 2.5 × minVolume. Peaks 10–1000 × minVolume.
 */
export function spikeCase(
  spec: CaseSpec & { readonly spikes?: number; readonly factor?: number },
): SyntheticCase {
  const factor = spec.factor ?? 5;
  const frame = frameOf(spec, (random) => logUniform(random, 10 * spec.minVolume, 1000 * spec.minVolume));
  const starts = placeIncidents(
    frame,
    spec.spikes ?? 2,
    (startMs) => factor * ordinaryLevel(frame.profile, frame.startMs, startMs) >= 2.5 * spec.minVolume,
  );
  const injected = starts.map((startMs) => ({
    kind: 'spike' as const,
    startMs,
    hours: 3 + Math.floor(frame.random() * 6),
    factor,
  }));
  return buildCase(spec, 'spike', frame, injected, true);
}

/**
 * `drops` (default 2) drops to 0–2% of usage for 3–12 hours each, where the undisturbed level
 * is at least 2 × minVolume for their first 3 hours. Peaks 10–1000 × minVolume.
 */
export function dropCase(spec: CaseSpec & { readonly drops?: number }): SyntheticCase {
  const frame = frameOf(spec, (random) => logUniform(random, 10 * spec.minVolume, 1000 * spec.minVolume));
  const starts = placeIncidents(frame, spec.drops ?? 2, (startMs) =>
    [0, 1, 2].every(
      (h) => ordinaryLevel(frame.profile, frame.startMs, startMs + h * HOUR_MS) >= 2 * spec.minVolume,
    ),
  );
  const injected = starts.map((startMs) => ({
    kind: 'drop' as const,
    startMs,
    hours: 3 + Math.floor(frame.random() * 10),
    factor: 0.02,
  }));
  return buildCase(spec, 'drop', frame, injected, true);
}

/**
 * A tenant too small to page anyone: peak 1–8% of minVolume, without growth, with one 5× spike
 * for 3–8 hours that stays under minVolume (ground truth with `expectAlert: false`).
 */
export function tinyTenantCase(spec: CaseSpec): SyntheticCase {
  const frame = frameOf(
    { ...spec, profile: { weeklyGrowth: 0, ...spec.profile } },
    (random) => between(random, 0.01, 0.08) * spec.minVolume,
  );
  const starts = placeIncidents(frame, 1, () => true);
  const injected = starts.map((startMs) => ({
    kind: 'spike' as const,
    startMs,
    hours: 3 + Math.floor(frame.random() * 6),
    factor: 5,
  }));
  return buildCase(spec, 'tiny', frame, injected, false);
}

export interface SuiteSpec {
  readonly seed: number;
  readonly minVolume: number;
  readonly cleanTenantMonths: number;
  /** Spike cases hold 2 spikes each. */
  readonly spikes: number;
  /** Drop cases hold 2 drops each. */
  readonly drops: number;
  readonly tinyTenants: number;
}

/** The evaluation suite: clean tenant-months, spike and drop cases, tiny tenants; reproducible from `seed`. */
export function generateEvaluationSuite(spec: SuiteSpec): SyntheticCase[] {
  const cases: SyntheticCase[] = [];
  let index = 0;
  const next = () => deriveSeed(spec.seed, index++);
  const { minVolume } = spec;
  for (let i = 0; i < spec.cleanTenantMonths; i++) cases.push(cleanSeasonalCase({ seed: next(), minVolume }));
  for (let placed = 0; placed < spec.spikes; ) {
    const spikes = Math.min(2, spec.spikes - placed);
    const made = spikeCase({ seed: next(), minVolume, spikes });
    cases.push(made);
    placed += made.incidents.length;
  }
  for (let placed = 0; placed < spec.drops; ) {
    const drops = Math.min(2, spec.drops - placed);
    const made = dropCase({ seed: next(), minVolume, drops });
    cases.push(made);
    placed += made.incidents.length;
  }
  for (let i = 0; i < spec.tinyTenants; i++) cases.push(tinyTenantCase({ seed: next(), minVolume }));
  return cases;
}
