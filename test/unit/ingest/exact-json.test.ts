import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arrayElementSpans,
  memberValueStart,
  parseJsonExact,
  significantDigits,
  valueStart,
} from '../../../shared/ingest/exact-json.js';

describe('significantDigits', () => {
  it.each([
    ['0', 0],
    ['1200', 2],
    ['-0.00120e5', 2],
    ['123456789012345678', 18],
    ['1.0000000000000001', 17],
    ['0.000000000000001', 1],
    ['9007199254740993E-3', 16],
  ])('counts %s as %i', (source, digits) => {
    expect(significantDigits(source)).toBe(digits);
  });
});

describe('parseJsonExact', () => {
  it('runs on a Node that passes the source text to revivers (Node ≥ 21)', () => {
    let source: unknown;
    JSON.parse('1', (_key, value, context?: { source?: string }) => {
      source = context?.source;
      return value;
    });
    expect(source).toBe('1');
  });

  it('keeps a number of 16 to 18 significant digits as its exact source text', () => {
    expect(parseJsonExact('{"a":123456789012345678,"b":1234567890.123456}')).toEqual({
      a: '123456789012345678',
      b: '1234567890.123456',
    });
  });

  it('keeps a number of more than 18 digits as text too, for the engine to reject exactly', () => {
    expect(parseJsonExact('[12345678901234567890]')).toEqual(['12345678901234567890']);
  });

  it('leaves numbers of at most 15 significant digits, and long digit runs in strings, alone', () => {
    expect(parseJsonExact('{"a":123456789012345,"b":0.000000000000001,"id":"1234567890123456789"}')).toEqual({
      a: 123456789012345,
      b: 1e-15,
      id: '1234567890123456789',
    });
  });

  it('parses like JSON.parse when no number is longer than 15 digits', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        if (!/\d(?:\.?\d){15}/.test(text)) expect(parseJsonExact(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('throws SyntaxError on text that is not JSON', () => {
    expect(() => parseJsonExact('{"a":')).toThrow(SyntaxError);
  });
});

describe('source spans', () => {
  it('find each element of an array exactly as written', () => {
    const layout = fc.constantFrom<(v: unknown) => string>(
      (v) => JSON.stringify(v),
      (v) => JSON.stringify(v, null, 2),
      (v) => ` \n${JSON.stringify(v, null, '\t')}\r\n `,
    );
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), layout, (elements, write) => {
        const text = write(elements);
        const spans = arrayElementSpans(text, valueStart(text));
        expect(spans.map((span) => JSON.parse(text.slice(span.start, span.end)))).toEqual(
          JSON.parse(text) as unknown[],
        );
      }),
    );
  });

  it('find the value of an object member, the last one when keys repeat, escaped or not', () => {
    const text = '{ "events": 1, "x": {"events": 2}, "ev\\u0065nts" : [3] }';
    const start = memberValueStart(text, valueStart(text), 'events');
    expect(text.slice(start, start + 3)).toBe('[3]');
    expect(memberValueStart('{}', 0, 'events')).toBe(-1);
  });
});
