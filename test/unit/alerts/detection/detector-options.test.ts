import { describe, expect, it } from 'vitest';
import { DetectorConfigError } from '../../../../shared/alerts/detection/detection-error.js';
import {
  DEFAULT_DETECTOR_OPTIONS,
  parseDetectorOptions,
} from '../../../../shared/alerts/detection/detector-options.js';

function rejection(input: unknown): DetectorConfigError {
  try {
    parseDetectorOptions(input);
  } catch (error) {
    if (error instanceof DetectorConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('parseDetectorOptions', () => {
  it('gives the documented defaults for no options', () => {
    expect(parseDetectorOptions(undefined)).toEqual({
      sensitivity: 5,
      spikeRatio: 3,
      dropRatio: 0.1,
      minVolume: 1000,
      minHistoryHours: 48,
      dropConsecutiveHours: 2,
      evaluateHours: 1,
    });
    expect(parseDetectorOptions({})).toEqual(DEFAULT_DETECTOR_OPTIONS);
  });

  it('keeps the fields given and defaults the rest', () => {
    expect(parseDetectorOptions({ minVolume: 5, sensitivity: 6.5 })).toEqual({
      ...DEFAULT_DETECTOR_OPTIONS,
      minVolume: 5,
      sensitivity: 6.5,
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['sensitivity', { sensitivity: 0 }],
    ['sensitivity', { sensitivity: '6' }],
    ['spikeRatio', { spikeRatio: 1.2 }],
    ['dropRatio', { dropRatio: 0 }],
    ['dropRatio', { dropRatio: 0.8 }],
    ['minVolume', { minVolume: -1 }],
    ['minVolume', { minVolume: 0 }],
    ['minVolume', { minVolume: Number.POSITIVE_INFINITY }],
    ['minHistoryHours', { minHistoryHours: 12 }],
    ['minHistoryHours', { minHistoryHours: 48.5 }],
    ['dropConsecutiveHours', { dropConsecutiveHours: 0 }],
    ['evaluateHours', { evaluateHours: Number.NaN }],
    ['spikeratio', { spikeratio: 3 }],
  ])('rejects a bad %s, naming the field', (field, input) => {
    const error = rejection(input);
    expect(error).toMatchObject({ code: 'invalid_detector_config', field });
    expect(error.message).toContain(`"${field}"`);
  });

  it.each([null, 'sensitive', [1, 2], 6])('rejects %j as a whole', (input) => {
    expect(rejection(input)).toMatchObject({ code: 'invalid_detector_config', field: '' });
  });
});
