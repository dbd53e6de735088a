import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidDataValue,
  MAX_EVENT_AGE_MS,
  MAX_FUTURE_SKEW_MS,
  usageDataSchema,
  validateEvent,
} from '../../../shared/contract/usage-event.js';
import { ARRIVAL_MS, EVENT_TIME, makeEvent } from '../../factories/events.js';

const opts = { arrivalMs: ARRIVAL_MS };

function failureOf(raw: unknown, arrivalMs = ARRIVAL_MS) {
  const result = validateEvent(raw, { arrivalMs });
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result;
}

const contractExample = {
  specversion: '1.0',
  id: '01JDZ4V7K3Q8',
  source: 'chat-api',
  type: 'llm.completion',
  subject: 'acme',
  time: '2026-11-29T21:04:05.123Z',
  data: {
    model: 'gpt-4o',
    input_tokens: 1200,
    output_tokens: 350,
    cached_tokens: 0,
    workspace: 'acme-support',
    project: 'triage-bot',
    agent: 'agent-7',
  },
};

describe('validateEvent accepts', () => {
  it('the CONTRACT.md example, with its time in epoch milliseconds', () => {
    const result = validateEvent(contractExample, opts);
    expect(result).toEqual({
      ok: true,
      event: { ...contractExample, timeMs: Date.parse(contractExample.time) },
    });
  });

  it('an event without the optional specversion and source', () => {
    const result = validateEvent(makeEvent({ specversion: undefined, source: undefined }), opts);
    expect(result.ok).toBe(true);
  });

  it('unknown extension attributes, and leaves them out of the validated event', () => {
    const result = validateEvent(makeEvent({ traceparent: '00-abc-def-01', region: 'eu' }), opts);
    expect(result.ok && Object.keys(result.event)).not.toContain('traceparent');
    expect(result.ok && Object.keys(result.event)).not.toContain('region');
  });

  it('decimal strings and strings such as "NaN" and "Infinity" in data, as strings', () => {
    const data = { gb_hours: '0.25', big: '123456789012345678', label: 'NaN', other: 'Infinity', empty: '' };
    const result = validateEvent(makeEvent({ data }), opts);
    expect(result.ok && result.event.data).toEqual(data);
  });

  it('an event with empty data', () => {
    expect(validateEvent(makeEvent({ data: {} }), opts).ok).toBe(true);
  });

  it('numbers at the limits: 0, 10^18, 12 fractional digits, 15 significant digits', () => {
    const data = { zero: 0, max: 1e18, tiny: 0.000000000001, long: 123456789.012345 };
    expect(validateEvent(makeEvent({ data }), opts).ok).toBe(true);
  });

  it('a time with an offset, converted to UTC milliseconds', () => {
    const result = validateEvent(makeEvent({ time: '2026-11-29T23:04:05.123+02:00' }), opts);
    expect(result.ok && result.event.timeMs).toBe(Date.parse(EVENT_TIME));
  });

  it('times exactly 35 days before and 5 minutes after arrival', () => {
    const oldest = new Date(ARRIVAL_MS - MAX_EVENT_AGE_MS).toISOString();
    const newest = new Date(ARRIVAL_MS + MAX_FUTURE_SKEW_MS).toISOString();
    expect(validateEvent(makeEvent({ time: oldest }), opts).ok).toBe(true);
    expect(validateEvent(makeEvent({ time: newest }), opts).ok).toBe(true);
  });

  it('ids and subjects at their maximum length of 128', () => {
    const event = makeEvent({ id: `${'x'.repeat(127)}~`, subject: 'a'.repeat(128) });
    expect(validateEvent(event, opts).ok).toBe(true);
  });

  it('every subject made of letters, digits and . _ : @ -', () => {
    const subject = fc.stringMatching(/^[A-Za-z0-9._:@-]{1,128}$/);
    fc.assert(fc.property(subject, (s) => validateEvent(makeEvent({ subject: s }), opts).ok));
  });
});

describe('validateEvent rejects', () => {
  it.each(['id', 'subject', 'type', 'time', 'data'])(
    'an event without %s as missing_field naming it',
    (field) => {
      const failure = failureOf(makeEvent({ [field]: undefined }));
      expect(failure.reason).toBe('missing_field');
      expect(failure.field).toBe(field);
      expect(failure.message).toContain(field);
    },
  );

  it.each([
    ['specversion', '0.3'],
    ['id', 42],
    ['id', ''],
    ['id', 'x'.repeat(129)],
    ['id', 'line\nbreak'],
    ['id', 'café'],
    ['source', 5],
    ['source', ''],
    ['source', 's'.repeat(257)],
    ['type', ''],
    ['type', 't'.repeat(257)],
    ['type', ['llm.completion']],
    ['subject', null],
    ['subject', 'acme#2'],
    ['subject', 'ac me'],
    ['subject', 'ácme'],
    ['subject', 'a'.repeat(129)],
    ['time', 1795986245123],
    ['time', '2026-11-29T21:04:05'],
    ['time', '2026-11-29'],
    ['time', '2026-02-30T10:00:00Z'],
    ['data', []],
    ['data', 'input_tokens=1'],
    ['data', null],
  ])('%s = %j as invalid_field naming the field', (field, value) => {
    const failure = failureOf(makeEvent({ [field]: value }));
    expect(failure).toMatchObject({ reason: 'invalid_field', field });
    expect(failure.message).toMatch(new RegExp(`^${field}: `));
  });

  it.each([
    ['an object', { nested: 1 }],
    ['an array', [1, 2]],
    ['null', null],
    ['a boolean', true],
    ['a string of 257 characters', 'm'.repeat(257)],
  ])('a data value that is %s as invalid_field naming data.<key>', (_case, value) => {
    const failure = failureOf(makeEvent({ data: { input_tokens: 1, model: value } }));
    expect(failure).toMatchObject({ reason: 'invalid_field', field: 'data.model' });
    expect(failure.message).toContain('data.model');
  });

  it.each([
    ['negative', -1, 'negative'],
    ['infinite (1e400 in JSON)', JSON.parse('1e400') as number, 'finite'],
    [
      'of 19 significant digits (as JSON.parse reads it)',
      JSON.parse('1234567890123456789') as number,
      '18 significant digits',
    ],
    ['of more than 12 fractional digits', 0.0000000000001, '12 fractional digits'],
    ['above 10^18', 2e18, '10^18'],
    ['inexact in binary (0.1 + 0.2)', 0.1 + 0.2, '18 significant digits'],
  ])('a number that is %s as invalid_number naming data.<key>', (_case, value, explanation) => {
    const failure = failureOf(makeEvent({ data: { input_tokens: value } }));
    expect(failure).toMatchObject({ reason: 'invalid_number', field: 'data.input_tokens' });
    expect(failure.message).toContain('data.input_tokens');
    expect(failure.message).toContain(explanation);
  });

  it('a time more than 35 days before arrival as time_out_of_range', () => {
    const time = new Date(ARRIVAL_MS - MAX_EVENT_AGE_MS - 1).toISOString();
    expect(failureOf(makeEvent({ time }))).toMatchObject({ reason: 'time_out_of_range', field: 'time' });
  });

  it('a time more than 5 minutes after arrival as time_out_of_range', () => {
    const time = new Date(ARRIVAL_MS + MAX_FUTURE_SKEW_MS + 1).toISOString();
    const failure = failureOf(makeEvent({ time }));
    expect(failure).toMatchObject({ reason: 'time_out_of_range', field: 'time' });
    expect(failure.message).toContain('5 minutes');
  });

  it.each([
    ['a string', 'event'],
    ['a number', 42],
    ['null', null],
    ['an array', [makeEvent()]],
  ])('JSON that is %s as not_an_event', (_case, raw) => {
    expect(failureOf(raw)).toMatchObject({ reason: 'not_an_event', field: '' });
  });
});

describe('validateEvent identifies a rejected event', () => {
  it('by its subject, id and type when those are valid', () => {
    const event = makeEvent({ subject: 'globex', data: { input_tokens: -5 } });
    expect(failureOf(event)).toMatchObject({ subject: 'globex', id: event.id, type: 'llm.completion' });
  });

  it('without the subject when the subject itself is invalid', () => {
    const failure = failureOf(makeEvent({ subject: 'bad subject' }));
    expect(failure).not.toHaveProperty('subject');
    expect(failure.id).toBeTypeOf('string');
  });

  it('without the id and type when they are invalid', () => {
    const failure = failureOf(makeEvent({ id: '', type: 7 }));
    expect(failure).not.toHaveProperty('id');
    expect(failure).not.toHaveProperty('type');
    expect(failure.subject).toBe('acme');
  });
});

describe('validateEvent on arbitrary input', () => {
  it('never throws, and a rejection always names a reason and a message', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        const result = validateEvent(raw, opts);
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
      }),
    );
  });

  it('gives an accepted event back with the same data it was sent', () => {
    const data = fc.dictionary(
      fc.string({ maxLength: 20 }),
      fc.oneof(fc.integer({ min: 0 }), fc.string({ maxLength: 256 })),
    );
    fc.assert(
      fc.property(data, (d) => {
        const result = validateEvent(makeEvent({ data: d }), opts);
        expect(result.ok && result.event.data).toEqual(d);
      }),
    );
  });
});

describe('isValidDataValue', () => {
  it('accepts exactly what the published data schema accepts', () => {
    const value = fc.oneof(
      fc.double(),
      fc.double({ min: 0, max: 1e19 }),
      fc.integer({ min: -10, max: 10 }),
      fc.string({ maxLength: 300 }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(isValidDataValue(v)).toBe(usageDataSchema.safeParse({ key: v }).success);
      }),
    );
  });
});
