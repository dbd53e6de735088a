import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CatalogError } from '../../../shared/catalog/catalog.js';
import {
  canonicalCatalogJson,
  catalogHash,
  loadCatalogText,
  parseCatalog,
} from '../../../shared/catalog/load-catalog.js';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { catalogDocument, issuesOf } from './catalog-factory.js';

describe('parseCatalog', () => {
  it('loads a valid document, defaulting entitlement keys to the meter key and sorting thresholds', () => {
    const catalog = parseCatalog(catalogDocument());

    expect(catalog.meters.map((m) => m.key)).toEqual(['input_tokens', 'inference_calls']);
    const [monthly, calls] = catalog.plans[0]?.entitlements ?? [];
    expect(monthly).toEqual({
      key: 'monthly-input-tokens',
      meter: 'input_tokens',
      limit: quantityOf(50_000_000),
      period: 'MONTH',
      mode: 'soft',
      thresholds: [50, 80, 100],
    });
    expect(calls).toEqual({
      key: 'inference_calls',
      meter: 'inference_calls',
      limit: quantityOf(1000),
      period: 'DAY',
      mode: 'hard',
      thresholds: [50, 80, 100],
      scope: 'workspace',
    });
  });

  it('keeps a COUNT meter without a valueProperty and a SUM meter with one', () => {
    const [sum, count] = parseCatalog(catalogDocument()).meters;
    expect(sum).toMatchObject({ aggregation: 'SUM', valueProperty: 'input_tokens' });
    expect(count).toMatchObject({ aggregation: 'COUNT' });
    expect(count).not.toHaveProperty('valueProperty');
  });

  it('reads limits exactly, whether written as decimal strings or numbers', () => {
    const doc = catalogDocument();
    const [a, b] = doc.plans[0]!.entitlements;
    a!.limit = '123456789012345678';
    b!.limit = 0.25;
    const [monthly, calls] = parseCatalog(doc).plans[0]!.entitlements;
    expect(monthly?.limit).toBe(123_456_789_012_345_678n * 10n ** 12n);
    expect(calls?.limit).toBe(250_000_000_000n);
  });

  it('defaults groupBy to no dimensions and entitlements to none', () => {
    const doc = catalogDocument();
    delete doc.meters[1]!.groupBy;
    doc.plans[0]!.entitlements = [];
    delete (doc.plans[0] as Record<string, unknown>).entitlements;
    const catalog = parseCatalog(doc);
    expect(catalog.meters[1]?.groupBy).toEqual([]);
    expect(catalog.plans[0]?.entitlements).toEqual([]);
  });

  it('returns a deeply frozen catalog', () => {
    const catalog = parseCatalog(catalogDocument());
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog.plans[0]?.entitlements[0]?.thresholds)).toBe(true);
  });

  it('rejects an entitlement whose meter is not defined, naming the plan and entitlement by key', () => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements[0]!.meter = 'foo';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro.entitlements.monthly-input-tokens.meter: unknown meter "foo"',
    ]);
    expect(() => parseCatalog(doc)).toThrow(
      'invalid catalog: plans.pro.entitlements.monthly-input-tokens.meter: unknown meter "foo"',
    );
  });

  it('rejects a duplicate meter key, naming the key and where it appears', () => {
    const doc = catalogDocument();
    doc.meters.push({ ...doc.meters[0], name: 'Again' });

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'meters.input_tokens: duplicate meter key "input_tokens" (meters[0], meters[2])',
    ]);
  });

  it('rejects a duplicate plan key', () => {
    const doc = catalogDocument();
    doc.plans.push({ key: 'pro', name: 'Pro again', entitlements: [] });

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro: duplicate plan key "pro" (plans[0], plans[1])',
    ]);
  });

  it('rejects two entitlements with the same key in one plan, counting a key defaulted from the meter', () => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements.push({ meter: 'inference_calls', limit: 5, period: 'MONTH', mode: 'hard' });

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro.entitlements.inference_calls: duplicate entitlement key "inference_calls" ' +
        "(plans.pro.entitlements[1], plans.pro.entitlements[2]); an entitlement without a key takes its meter's key",
    ]);
  });

  it.each(['SUM', 'MAX', 'UNIQUE_COUNT', 'LATEST'])(
    'requires a valueProperty on a %s meter',
    (aggregation) => {
      const doc = catalogDocument();
      doc.meters[0]!.aggregation = aggregation;
      delete doc.meters[0]!.valueProperty;
      doc.plans[0]!.entitlements.splice(0, 1);

      expect(issuesOf(() => parseCatalog(doc))).toEqual([
        `meters.input_tokens.valueProperty: required for ${aggregation}`,
      ]);
    },
  );

  it('rejects a valueProperty on a COUNT meter', () => {
    const doc = catalogDocument();
    doc.meters[1]!.valueProperty = 'calls';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'meters.inference_calls.valueProperty: not allowed for COUNT (it counts events)',
    ]);
  });

  it('rejects an unknown aggregation, listing the valid ones', () => {
    const doc = catalogDocument();
    doc.meters[0]!.aggregation = 'AVG';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'meters.input_tokens.aggregation: must be one of SUM, COUNT, MAX, UNIQUE_COUNT, LATEST, not "AVG"',
    ]);
  });

  it('rejects an unknown period', () => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements[0]!.period = 'WEEK';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro.entitlements.monthly-input-tokens.period: must be one of DAY, MONTH, BILLING_PERIOD, not "WEEK"',
    ]);
  });

  it('rejects an unknown mode', () => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements[1]!.mode = 'HARD';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro.entitlements.inference_calls.mode: must be one of hard, soft, not "HARD"',
    ]);
  });

  it.each([
    ['-1', 'must be a decimal ≥ 0'],
    [-5, 'must be a decimal ≥ 0'],
    ['lots', 'must be a decimal ≥ 0'],
    ['', 'must be a decimal ≥ 0'],
    [true, 'must be a decimal ≥ 0'],
    [undefined, 'required'],
    ['0.0000000000001', 'must have at most 12 decimal places'],
    ['1e19', 'must be at most 10^18'],
    // 17 digits: a YAML or JSON parser rounds this number before Tollgate sees it.
    [
      Number.parseFloat('12345678901234567'),
      'has more digits than a number holds exactly; write it as a quoted decimal string',
    ],
  ])('rejects the limit %j', (limit, message) => {
    const doc = catalogDocument();
    if (limit === undefined) delete doc.plans[0]!.entitlements[0]!.limit;
    else doc.plans[0]!.entitlements[0]!.limit = limit;

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      `plans.pro.entitlements.monthly-input-tokens.limit: ${message}`,
    ]);
  });

  it('accepts a limit of zero', () => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements[0]!.limit = '0';
    expect(parseCatalog(doc).plans[0]?.entitlements[0]?.limit).toBe(0n);
  });

  it.each([
    [[0, 50], 'thresholds[0]: must be a percent between 1 and 1000'],
    [[50, 1001], 'thresholds[1]: must be a percent between 1 and 1000'],
    [[50.5], 'thresholds[0]: must be a whole percent'],
    [['80'], 'thresholds[0]: must be a number, not "80"'],
    [[50, 80, 50], 'thresholds[2]: duplicate threshold 50'],
  ])('rejects the thresholds %j', (thresholds, message) => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements[0]!.thresholds = thresholds;

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      `plans.pro.entitlements.monthly-input-tokens.${message}`,
    ]);
  });

  it('rejects a misspelt property and suggests the intended one', () => {
    const doc = catalogDocument();
    doc.meters[0]!.agregation = 'SUM';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'meters.input_tokens.agregation: unknown property (did you mean "aggregation"?)',
    ]);
  });

  it('rejects unknown properties at every level, naming each', () => {
    const doc = catalogDocument() as Record<string, unknown> & ReturnType<typeof catalogDocument>;
    doc.version = 2;
    doc.plans[0]!.price = 10;
    doc.plans[0]!.entitlements[1]!.scopes = ['workspace'];

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro.entitlements.inference_calls.scopes: unknown property (did you mean "scope"?)',
      'plans.pro.price: unknown property',
      'version: unknown property',
    ]);
  });

  it('rejects a scope that is not one of the meter’s groupBy dimensions', () => {
    const doc = catalogDocument();
    doc.plans[0]!.entitlements[1]!.scope = 'project';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'plans.pro.entitlements.inference_calls.scope: "project" is not a groupBy dimension of meter ' +
        '"inference_calls" (dimensions: model, workspace)',
    ]);
  });

  it.each(['MAX', 'LATEST', 'UNIQUE_COUNT'])(
    'rejects an entitlement that limits a %s meter',
    (aggregation) => {
      const doc = catalogDocument();
      doc.meters[0]!.aggregation = aggregation;

      expect(issuesOf(() => parseCatalog(doc))).toEqual([
        `plans.pro.entitlements.monthly-input-tokens.meter: meter "input_tokens" is ${aggregation}; ` +
          'an entitlement can only limit a SUM or COUNT meter',
      ]);
    },
  );

  it('rejects duplicated and too many groupBy dimensions', () => {
    const doc = catalogDocument();
    doc.meters[1]!.groupBy = ['model', 'workspace', 'model'];
    doc.meters[0]!.groupBy = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'meters.input_tokens.groupBy: must list at most 8 dimensions',
      'meters.inference_calls.groupBy[2]: duplicate dimension "model"',
    ]);
  });

  it('rejects keys, event types and dimensions that could not be stored in counter keys', () => {
    const doc = catalogDocument();
    doc.meters[0]!.key = 'Input-Tokens';
    doc.meters[0]!.eventType = 'llm|completion';
    doc.meters[1]!.groupBy = ['work space'];
    doc.plans[0]!.entitlements[0]!.key = 'monthly#tokens';

    expect(issuesOf(() => parseCatalog(doc))).toEqual([
      'meters.Input-Tokens.key: must be lowercase letters, digits and _, start with a letter, ≤ 64 characters',
      'meters.Input-Tokens.eventType: must be a CloudEvents type such as "llm.completion"',
      'meters.inference_calls.groupBy[0]: must be a property name: letters, digits, _, . and -, ≤ 64 characters',
      'plans.pro.entitlements.monthly#tokens.key: must be lowercase letters, digits, _ and -, start with a letter, ≤ 64 characters',
    ]);
  });

  it('names a list item by its index when it has no key', () => {
    const doc = catalogDocument();
    delete doc.meters[1]!.key;

    expect(issuesOf(() => parseCatalog(doc))).toEqual(['meters[1].key: required']);
  });

  it('rejects a schemaVersion other than 1 and a document that is not an object', () => {
    const doc = catalogDocument();
    doc.schemaVersion = 2;

    expect(issuesOf(() => parseCatalog(doc))).toEqual(['schemaVersion: must be 1']);
    expect(issuesOf(() => parseCatalog(['meters']))).toEqual(['must be an object, not a list']);
  });

  it('reports every structural problem at once, with a count in the message', () => {
    const doc = catalogDocument();
    doc.meters[0]!.aggregation = 'AVG';
    doc.plans[0]!.entitlements[0]!.limit = '-1';

    expect(() => parseCatalog(doc)).toThrow(CatalogError);
    expect(() => parseCatalog(doc)).toThrow(
      'invalid catalog (2 problems):\n' +
        'meters.input_tokens.aggregation: must be one of SUM, COUNT, MAX, UNIQUE_COUNT, LATEST, not "AVG"\n' +
        'plans.pro.entitlements.monthly-input-tokens.limit: must be a decimal ≥ 0',
    );
  });
});

describe('loadCatalogText', () => {
  it('loads the same catalog from YAML and from JSON', () => {
    const doc = catalogDocument();
    const fromYaml = loadCatalogText(stringify(doc), 'yaml');
    const fromJson = loadCatalogText(JSON.stringify(doc), 'json');
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml).toEqual(parseCatalog(doc));
  });

  it('reports a YAML syntax error with its line and column', () => {
    const text = 'schemaVersion: 1\nmeters: [\n  { key: a\nplans: []\n';
    const [issue] = issuesOf(() => loadCatalogText(text, 'yaml'));
    expect(issue).toMatch(/^YAML syntax error at line 4, column 1: /);
  });

  it('rejects a key written twice in one YAML mapping, naming its line', () => {
    const text = 'schemaVersion: 1\nmeters: []\nplans: []\nmeters: []\n';
    expect(issuesOf(() => loadCatalogText(text, 'yaml'))).toEqual([
      expect.stringMatching(/^YAML syntax error at line 4, column 1: Map keys must be unique/),
    ]);
  });

  it('reports a JSON syntax error with its position', () => {
    const [issue] = issuesOf(() => loadCatalogText('{\n  "schemaVersion": 1,\n}', 'json'));
    expect(issue).toMatch(/^JSON syntax error: .*position \d+/);
  });

  it('names the offending key in a catalog loaded from YAML', () => {
    const doc = catalogDocument();
    delete doc.meters[0]!.valueProperty;
    expect(issuesOf(() => loadCatalogText(stringify(doc), 'yaml'))).toEqual([
      'meters.input_tokens.valueProperty: required for SUM',
    ]);
  });
});

describe('canonicalCatalogJson and catalogHash', () => {
  it('are the same whatever the key order or the format of the source', () => {
    const doc = catalogDocument();
    const shuffled = {
      plans: doc.plans.map((plan) => ({ entitlements: plan.entitlements, name: plan.name, key: plan.key })),
      meters: doc.meters,
      schemaVersion: 1,
    };
    const a = parseCatalog(doc);
    const b = loadCatalogText(stringify(shuffled), 'yaml');
    expect(canonicalCatalogJson(b)).toBe(canonicalCatalogJson(a));
    expect(catalogHash(b)).toBe(catalogHash(a));
    expect(catalogHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fills in defaults and writes limits as canonical decimal strings, with keys sorted', () => {
    const json = canonicalCatalogJson(parseCatalog(catalogDocument()));
    expect(json).toContain(
      '{"key":"inference_calls","limit":"1000","meter":"inference_calls","mode":"hard","period":"DAY",' +
        '"scope":"workspace","thresholds":[50,80,100]}',
    );
    expect(json.startsWith('{"meters":[{"aggregation":"SUM","eventType":"llm.completion","groupBy":')).toBe(
      true,
    );
  });

  it('round-trips: parsing the canonical JSON gives the same catalog', () => {
    const catalog = parseCatalog(catalogDocument());
    const again = loadCatalogText(canonicalCatalogJson(catalog), 'json');
    expect(again).toEqual(catalog);
    expect(canonicalCatalogJson(again)).toBe(canonicalCatalogJson(catalog));
  });

  it('changes the hash when a limit changes', () => {
    const doc = catalogDocument();
    const before = catalogHash(parseCatalog(doc));
    doc.plans[0]!.entitlements[0]!.limit = '50000001';
    expect(catalogHash(parseCatalog(doc))).not.toBe(before);
  });
});
