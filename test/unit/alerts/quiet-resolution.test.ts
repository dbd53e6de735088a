/**
 * The quiet rule on its own: a spike's rate measured between runs from the watch on its alert;
 * resolved once every series of the incident has been back within the band long enough.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_OPTIONS } from '../../../shared/alerts/detection/detector-options.js';
import { stepQuiet, type WatchedSeries } from '../../../shared/alerts/quiet-resolution.js';
import { HOUR_MS } from '../../../shared/time/windows.js';
import { anOpenSpike } from '../../factories/alerts.js';

const HOUR = Date.parse('2026-11-08T10:00:00.000Z');
const MINUTE = 60_000;
const OPTIONS = { resolveAfterQuietMinutes: 30 };

/** A series whose current hour holds `soFar` tokens; 10,000 expected an hour unless said. */
function series(id: string, soFar: number, expected: number | 'unknown' = 10_000): WatchedSeries {
  return {
    id,
    points: [
      { hourStart: HOUR - HOUR_MS, value: 10_000 },
      { hourStart: HOUR, value: soFar },
    ],
    expected: expected === 'unknown' ? undefined : expected,
    options: DEFAULT_DETECTOR_OPTIONS,
  };
}

const watchAt = (minute: number, values: Record<string, number>, quietSince?: string) => ({
  at: new Date(HOUR + minute * MINUTE).toISOString(),
  hour: new Date(HOUR).toISOString(),
  values,
  ...(quietSince === undefined ? {} : { quietSince }),
});

describe('stepQuiet', () => {
  it('starts watching on first sight, noting each series so far this hour, and sends nothing', () => {
    const step = stepQuiet(anOpenSpike(), [series('input_tokens', 20_000)], HOUR + 12 * MINUTE, OPTIONS);
    expect(step).toMatchObject({
      action: 'record',
      alert: { state: 'open', version: 4, watch: watchAt(12, { input_tokens: 20_000 }) },
    });
  });

  it('measures the rate since the last run: 10,000 tokens in 5 minutes is 120,000 an hour, not quiet', () => {
    const open = anOpenSpike({ watch: watchAt(12, { input_tokens: 20_000 }, '2026-11-08T10:07:00.000Z') });
    const step = stepQuiet(open, [series('input_tokens', 30_000)], HOUR + 17 * MINUTE, OPTIONS);
    expect(step.action).toBe('record');
    if (step.action !== 'record') return;
    expect(step.alert.watch).toEqual(watchAt(17, { input_tokens: 30_000 }));
  });

  it('counts quiet from the run before the first quiet interval, and resolves after 30 minutes of it', () => {
    // 500 tokens in 5 minutes: 6,000 an hour, under the 10,000 expected.
    const first = stepQuiet(
      anOpenSpike({ watch: watchAt(15, { input_tokens: 30_000 }) }),
      [series('input_tokens', 30_500)],
      HOUR + 20 * MINUTE,
      OPTIONS,
    );
    expect(first).toMatchObject({
      action: 'record',
      alert: { watch: { quietSince: '2026-11-08T10:15:00.000Z' } },
    });
    const almost = stepQuiet(
      anOpenSpike({ watch: watchAt(40, { input_tokens: 32_500 }, '2026-11-08T10:15:00.000Z') }),
      [series('input_tokens', 32_900)],
      HOUR + 44 * MINUTE,
      OPTIONS,
    );
    expect(almost.action).toBe('record');
    const done = stepQuiet(
      anOpenSpike({ watch: watchAt(40, { input_tokens: 32_500 }, '2026-11-08T10:15:00.000Z') }),
      [series('input_tokens', 33_000)],
      HOUR + 45 * MINUTE,
      OPTIONS,
    );
    expect(done).toMatchObject({
      action: 'resolve',
      event: 'alert.resolved',
      alert: {
        state: 'resolved',
        resolvedAt: '2026-11-08T10:15:00.000Z',
        updatedAt: '2026-11-08T10:45:00.000Z',
        // The current hour belongs to the incident: its close does not reopen it.
        evaluatedHour: '2026-11-08T10:00:00.000Z',
        pendingEvent: 'alert.resolved',
      },
    });
  });

  it('measures across the top of an hour from the hour the watch began', () => {
    // Watched at 10:55 with 40,000; at 11:05 the closed hour holds 41,000 and the new one 1,000:
    // 2,000 tokens in 10 minutes, 12,000 an hour — within the band (under 2× of 10,000).
    const open = anOpenSpike({ watch: watchAt(55, { input_tokens: 40_000 }, '2026-11-08T10:30:00.000Z') });
    const points = [
      { hourStart: HOUR, value: 41_000 },
      { hourStart: HOUR + HOUR_MS, value: 1_000 },
    ];
    const step = stepQuiet(
      open,
      [{ id: 'input_tokens', points, expected: 10_000, options: DEFAULT_DETECTOR_OPTIONS }],
      HOUR + 65 * MINUTE,
      OPTIONS,
    );
    expect(step).toMatchObject({ action: 'resolve', alert: { evaluatedHour: '2026-11-08T11:00:00.000Z' } });
  });

  it('resolves only when every series of the incident is quiet', () => {
    const open = anOpenSpike({
      watch: watchAt(40, { input_tokens: 32_500, output_tokens: 5_000 }, '2026-11-08T10:15:00.000Z'),
    });
    const step = stepQuiet(
      open,
      [series('input_tokens', 33_000), series('output_tokens', 15_000)],
      HOUR + 45 * MINUTE,
      OPTIONS,
    );
    expect(step.action).toBe('record');
    if (step.action === 'record') expect(step.alert.watch?.quietSince).toBeUndefined();
  });

  it('does not judge a series that joined the incident since the last run', () => {
    const open = anOpenSpike({ watch: watchAt(40, { input_tokens: 32_500 }, '2026-11-08T10:15:00.000Z') });
    const step = stepQuiet(
      open,
      [series('input_tokens', 33_000), series('cached_tokens', 0)],
      HOUR + 45 * MINUTE,
      OPTIONS,
    );
    expect(step.action).toBe('record');
  });

  it('changes nothing for runs under 30 seconds apart, and restarts the watch when the clock goes back', () => {
    const open = anOpenSpike({ watch: watchAt(40, { input_tokens: 32_500 }, '2026-11-08T10:15:00.000Z') });
    expect(stepQuiet(open, [series('input_tokens', 32_500)], HOUR + 40 * MINUTE + 20_000, OPTIONS)).toEqual({
      action: 'none',
    });
    const back = stepQuiet(open, [series('input_tokens', 32_500)], HOUR + 30 * MINUTE, OPTIONS);
    expect(back).toMatchObject({ action: 'record', alert: { watch: watchAt(30, { input_tokens: 32_500 }) } });
  });

  it('without an expected value, is quiet only under the minimum volume', () => {
    const open = anOpenSpike({ watch: watchAt(40, { input_tokens: 32_500 }, '2026-11-08T10:15:00.000Z') });
    // 400 tokens in 5 minutes = 4,800 an hour: over minVolume (1,000), nothing to compare with.
    expect(
      stepQuiet(open, [series('input_tokens', 32_900, 'unknown')], HOUR + 45 * MINUTE, OPTIONS).action,
    ).toBe('record');
    // 50 in 5 minutes = 600 an hour: under it.
    expect(
      stepQuiet(open, [series('input_tokens', 32_550, 'unknown')], HOUR + 45 * MINUTE, OPTIONS).action,
    ).toBe('resolve');
  });

  it('does nothing for an incident with no series left (its meter gone from the catalog)', () => {
    expect(stepQuiet(anOpenSpike(), [], HOUR + 45 * MINUTE, OPTIONS)).toEqual({ action: 'none' });
  });
});
