import { describe, expect, it } from 'vitest';
import { splitEventBatch } from '../../../shared/ingest/event-batch.js';

function itemsOf(text: string) {
  const batch = splitEventBatch(text);
  if (!batch.ok) throw new Error(`expected items, got ${batch.code}`);
  return batch.items;
}

describe('splitEventBatch', () => {
  it('slices each element of an array as its own source text, whitespace inside kept', () => {
    const a = '{ "id" : "a", "data": {"n": 1.50} }';
    const b = '{"id":"b","s":"[,]\\"}"}';
    expect(itemsOf(` \n[ ${a} ,\n\t${b} ] \n`)).toEqual([
      { index: 0, raw: { id: 'a', data: { n: 1.5 } }, json: a },
      { index: 1, raw: { id: 'b', s: '[,]"}' }, json: b },
    ]);
  });

  it('takes one object as a batch of one, without the whitespace around it', () => {
    expect(itemsOf('\r\n {"id":"x"}  \n')).toEqual([{ index: 0, raw: { id: 'x' }, json: '{"id":"x"}' }]);
  });

  it('parses numbers of more than 15 digits as their text, and keeps the text in the slice', () => {
    const [item] = itemsOf('[{"data":{"tokens":123456789012345678,"small":12}}]');
    expect(item?.raw).toEqual({ data: { tokens: '123456789012345678', small: 12 } });
    expect(item?.json).toBe('{"data":{"tokens":123456789012345678,"small":12}}');
  });

  it('keeps elements that are not objects, for validation to reject', () => {
    expect(itemsOf('[1, null, "x"]').map((item) => item.json)).toEqual(['1', 'null', '"x"']);
  });

  it.each([
    ['[{"id":', 'invalid_json'],
    ['{"a":1} {"b":2}', 'invalid_json'],
    ['[]', 'empty_batch'],
    ['true', 'invalid_batch'],
    ['"text"', 'invalid_batch'],
  ])('refuses %s as %s, naming the body', (text, code) => {
    const batch = splitEventBatch(text);
    expect(batch).toMatchObject({ ok: false, code });
    expect(batch.ok === false && batch.message).toMatch(/^body: /);
  });

  it('refuses more events than the maximum', () => {
    expect(splitEventBatch('[{},{},{}]', 2)).toEqual({
      ok: false,
      code: 'too_many_events',
      message: 'body: holds 3 events; send at most 2 per request',
    });
    expect(splitEventBatch('[{},{}]', 2).ok).toBe(true);
  });
});
