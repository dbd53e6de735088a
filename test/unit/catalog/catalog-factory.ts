import { expect } from 'vitest';
import { CatalogError } from '../../../shared/catalog/catalog.js';

type Json = Record<string, unknown>;

/** A small valid catalog document; each call returns a fresh copy to change. */
export function catalogDocument(): {
  schemaVersion: number;
  meters: Json[];
  plans: (Json & { entitlements: Json[] })[];
} {
  return {
    schemaVersion: 1,
    meters: [
      {
        key: 'input_tokens',
        name: 'Input tokens',
        unit: 'tokens',
        eventType: 'llm.completion',
        aggregation: 'SUM',
        valueProperty: 'input_tokens',
        groupBy: ['model', 'workspace', 'project', 'agent'],
      },
      {
        key: 'inference_calls',
        name: 'Inference calls',
        unit: 'calls',
        eventType: 'inference.call',
        aggregation: 'COUNT',
        groupBy: ['model', 'workspace'],
      },
    ],
    plans: [
      {
        key: 'pro',
        name: 'Pro',
        entitlements: [
          {
            key: 'monthly-input-tokens',
            meter: 'input_tokens',
            limit: '50000000',
            period: 'MONTH',
            mode: 'soft',
            thresholds: [100, 50, 80],
          },
          { meter: 'inference_calls', limit: 1000, period: 'DAY', mode: 'hard', scope: 'workspace' },
        ],
      },
    ],
  };
}

/** Runs `load`, expects a `CatalogError` with `code`, and returns its issues as `path: message` lines. */
export function issuesOf(load: () => unknown, code = 'invalid_catalog'): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    const catalogError = error as CatalogError;
    expect(catalogError.code).toBe(code);
    return catalogError.issues.map((issue) =>
      issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`,
    );
  }
  throw new Error('expected a CatalogError, but loading succeeded');
}
