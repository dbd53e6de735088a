import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { usageEventJsonSchema } from '../../../shared/contract/json-schema.js';
import { makeEvent } from '../../factories/events.js';

// ajv 6 (draft-07) is a transitive dependency; the schema targets draft-07 so any validator reads it.
const validate = new Ajv({ allErrors: true }).compile(usageEventJsonSchema);

const contractExample =
  JSON.parse(`{"specversion":"1.0","id":"01JDZ4V7K3Q8","source":"chat-api","type":"llm.completion",
 "subject":"acme","time":"2026-11-29T21:04:05.123Z",
 "data":{"model":"gpt-4o","input_tokens":1200,"output_tokens":350,"cached_tokens":0,
         "workspace":"acme-support","project":"triage-bot","agent":"agent-7"}}`) as unknown;

describe('the usage event JSON Schema', () => {
  it('accepts the CONTRACT.md example', () => {
    expect(validate(contractExample), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts extension attributes and decimal strings', () => {
    const event = makeEvent({ traceparent: '00-abc', data: { gb_hours: '0.25', tokens: 3 } });
    expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a missing id', makeEvent({ id: undefined })],
    ['a subject with #', makeEvent({ subject: 'acme#1' })],
    ['a time without offset', makeEvent({ time: '2026-11-29T21:04:05' })],
    ['nested data', makeEvent({ data: { usage: { tokens: 1 } } })],
    ['a negative number', makeEvent({ data: { tokens: -1 } })],
    ['specversion 0.3', makeEvent({ specversion: '0.3' })],
  ])('rejects %s', (_case, event) => {
    expect(validate(event)).toBe(false);
  });

  it('is what docs/usage-event.schema.json holds (rerun export-json-schema.ts when it changes)', () => {
    const published = readFileSync(new URL('../../../docs/usage-event.schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(published)).toEqual(usageEventJsonSchema);
  });
});
