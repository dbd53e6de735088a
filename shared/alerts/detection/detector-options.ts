/**
 * The detector's knobs, their defaults, and `parseDetectorOptions`, which checks options read
 * from configuration once and names the first bad field. Pure.
 */
import { DetectorConfigError } from './detection-error.js';

export interface DetectorOptions {
  /**
   * Robust z-score an hour must reach to be flagged: how many noise widths (a MAD-based spread,
   * see detector.ts) the observed value lies from the expected one. Higher is quieter.
   */
  readonly sensitivity: number;
  /** A spike is observed ≥ `spikeRatio` × expected. */
  readonly spikeRatio: number;
  /** A drop is observed ≤ `dropRatio` × expected. */
  readonly dropRatio: number;
  /**
   * Smallest hourly volume worth an alert: a spike needs the observed value, a drop the expected
   * one, to reach it. In the series' unit, so usage and spend series pass their own.
   */
  readonly minVolume: number;
  /** Hours since the series' first non-zero hour before anything is flagged. */
  readonly minHistoryHours: number;
  /** Closed hours in a row a drop must last before it is flagged (one quiet hour does not page). */
  readonly dropConsecutiveHours: number;
  /** How many of the latest closed hours each run evaluates (1: the hour that just closed). */
  readonly evaluateHours: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  sensitivity: 5,
  spikeRatio: 3,
  dropRatio: 0.1,
  minVolume: 1000,
  minHistoryHours: 48,
  dropConsecutiveHours: 2,
  evaluateHours: 1,
};

type Field = keyof DetectorOptions;

interface Rule {
  readonly integer: boolean;
  /** Inclusive bounds, except `min` when `exclusiveMin`. */
  readonly min: number;
  readonly max: number;
  readonly exclusiveMin?: boolean;
  readonly text: string;
}

const RULES: Readonly<Record<Field, Rule>> = {
  sensitivity: { integer: false, min: 0, max: 100, exclusiveMin: true, text: 'a number > 0 and ≤ 100' },
  spikeRatio: { integer: false, min: 1.5, max: 1000, text: 'a number from 1.5 to 1000' },
  dropRatio: { integer: false, min: 0, max: 0.5, exclusiveMin: true, text: 'a number > 0 and ≤ 0.5' },
  minVolume: {
    integer: false,
    min: 0,
    max: Number.MAX_VALUE,
    exclusiveMin: true,
    text: 'a finite number > 0',
  },
  minHistoryHours: { integer: true, min: 24, max: 24 * 90, text: 'a whole number of hours from 24 to 2160' },
  dropConsecutiveHours: { integer: true, min: 1, max: 24, text: 'a whole number of hours from 1 to 24' },
  evaluateHours: { integer: true, min: 1, max: 168, text: 'a whole number of hours from 1 to 168' },
};

const FIELDS = Object.keys(RULES) as Field[];

function isValid(value: unknown, rule: Rule): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (rule.integer && !Number.isInteger(value)) return false;
  if (rule.exclusiveMin === true ? value <= rule.min : value < rule.min) return false;
  return value <= rule.max;
}

/**
 * Detector options from configuration: an object with any of the fields of `DetectorOptions`
 * (the others take their defaults), or `undefined` for all defaults. Throws
 * `DetectorConfigError` (`invalid_detector_config`) naming the first bad or unknown field.
 */
export function parseDetectorOptions(input: unknown): DetectorOptions {
  if (input === undefined) return DEFAULT_DETECTOR_OPTIONS;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DetectorConfigError('', 'detector options must be an object');
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in RULES)) {
      throw new DetectorConfigError(key, `detector option "${key}" is unknown; known: ${FIELDS.join(', ')}`);
    }
  }
  const options: Record<string, number> = { ...DEFAULT_DETECTOR_OPTIONS };
  for (const field of FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    const rule = RULES[field];
    if (!isValid(value, rule)) {
      throw new DetectorConfigError(
        field,
        `detector option "${field}" must be ${rule.text}: ${String(value)}`,
      );
    }
    options[field] = value;
  }
  return options as unknown as DetectorOptions;
}
