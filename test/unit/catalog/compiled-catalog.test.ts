import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { parseCatalog } from '../../../shared/catalog/load-catalog.js';
import { catalogDocument } from './catalog-factory.js';

function compiledWithTwoCompletionMeters() {
  const doc = catalogDocument();
  doc.meters.push({
    key: 'output_tokens',
    name: 'Output tokens',
    unit: 'tokens',
    eventType: 'llm.completion',
    aggregation: 'SUM',
    valueProperty: 'output_tokens',
  });
  return compileCatalog(parseCatalog(doc));
}

describe('compileCatalog', () => {
  it('finds every meter that selects an event type, in catalog order', () => {
    const compiled = compiledWithTwoCompletionMeters();
    expect(compiled.metersForType('llm.completion').map((m) => m.key)).toEqual([
      'input_tokens',
      'output_tokens',
    ]);
    expect(compiled.metersForType('inference.call').map((m) => m.key)).toEqual(['inference_calls']);
    expect([...compiled.eventTypes].sort()).toEqual(['inference.call', 'llm.completion']);
  });

  it('finds no meters for a type no meter selects, nor for a type that differs only in case', () => {
    const compiled = compiledWithTwoCompletionMeters();
    expect(compiled.metersForType('gpu.job')).toEqual([]);
    expect(compiled.metersForType('LLM.completion')).toEqual([]);
  });

  it('returns the same frozen list for repeated lookups, so callers cannot change it', () => {
    const compiled = compiledWithTwoCompletionMeters();
    const meters = compiled.metersForType('llm.completion');
    expect(compiled.metersForType('llm.completion')).toBe(meters);
    expect(Object.isFrozen(meters)).toBe(true);
    expect(Object.isFrozen(compiled.metersForType('unknown'))).toBe(true);
  });

  it('looks up meters, plans and entitlements by key', () => {
    const compiled = compiledWithTwoCompletionMeters();
    expect(compiled.meter('inference_calls')?.aggregation).toBe('COUNT');
    expect(compiled.meter('nope')).toBeUndefined();
    expect(compiled.plan('pro')?.name).toBe('Pro');
    expect(compiled.plan('toString')).toBeUndefined();
    expect(compiled.entitlement('pro', 'monthly-input-tokens')?.meter).toBe('input_tokens');
    expect(compiled.entitlement('pro', 'nope')).toBeUndefined();
    expect(compiled.entitlement('free', 'monthly-input-tokens')).toBeUndefined();
  });
});
