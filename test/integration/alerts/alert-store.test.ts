import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAlertStore } from '../../../functions/adapters/dynamodb/dynamodb-alert-store.js';
import type { Alert } from '../../../shared/alerts/alert.js';
import { alertIdOf } from '../../../shared/alerts/incident.js';
import { createTestStack, type TestStack } from '../support/local-stack.js';

let stack: TestStack;
let alerts: DynamoDbAlertStore;

beforeAll(async () => {
  stack = await createTestStack({ shardCount: 1 });
  alerts = new DynamoDbAlertStore(stack.dynamodb, stack.tables.alerts);
});
afterAll(async () => {
  await stack?.dispose();
});

function anAlert(
  tenant: string,
  incidentKey: string,
  startedAt: string,
  overrides: Partial<Alert> = {},
): Alert {
  return {
    id: alertIdOf(incidentKey, startedAt),
    incidentKey,
    kind: 'usage_spike',
    severity: 'warning',
    state: 'open',
    tenant,
    meter: 'input_tokens',
    dimensions: {},
    unit: 'tokens',
    observed: '60000',
    expected: '10000',
    ratio: 6,
    window: { start: startedAt, end: startedAt },
    startedAt,
    updatedAt: startedAt,
    normalHours: 0,
    evaluatedHour: startedAt,
    history: [],
    version: 1,
    title: 't',
    summary: 's',
    action: 'a',
    ...overrides,
  };
}

describe('the DynamoDB alert store', () => {
  it('opens one alert per incident: a second open, even of another alert, writes nothing', async () => {
    const first = anAlert('acme', 'acme|usage_spike|input_tokens|', '2026-11-08T00:00:00.000Z');
    const racing = anAlert('acme', 'acme|usage_spike|input_tokens|', '2026-11-08T01:00:00.000Z');
    const outcomes = await Promise.all([alerts.open(first), alerts.open(racing)]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await alerts.open(first)).toBe(false);
    const current = await alerts.current('acme|usage_spike|input_tokens|');
    expect([first.id, racing.id]).toContain(current?.id);
  });

  it('updates with optimistic concurrency, and a resolution frees the incident for the next one', async () => {
    const key = 'globex|usage_spike|input_tokens|';
    const opened = anAlert('globex', key, '2026-11-08T00:00:00.000Z');
    expect(await alerts.open(opened)).toBe(true);
    const updated = { ...opened, severity: 'critical' as const, version: 2 };
    expect(await alerts.update(updated)).toBe(true);
    expect(await alerts.update(updated)).toBe(false); // stale: version 1 is gone
    const resolved = {
      ...updated,
      state: 'resolved' as const,
      resolvedAt: '2026-11-08T03:00:00.000Z',
      version: 3,
    };
    expect(await alerts.update(resolved)).toBe(true);
    expect((await alerts.current(key))?.state).toBe('resolved');
    const next = anAlert('globex', key, '2026-11-09T00:00:00.000Z');
    expect(await alerts.open(next)).toBe(true);
    expect((await alerts.current(key))?.id).toBe(next.id);
  });

  it('lists by tenant and state, newest first, page by page', async () => {
    for (let i = 0; i < 5; i++) {
      const startedAt = `2026-11-1${i}T00:00:00.000Z`;
      const alert = anAlert(
        'umbrella',
        `umbrella|usage_spike|m${i}|`,
        startedAt,
        i % 2 === 0 ? {} : { state: 'open' },
      );
      expect(await alerts.open(alert)).toBe(true);
    }
    const first = await alerts.list({ tenant: 'umbrella', limit: 2 });
    expect(first.alerts.map((a) => a.startedAt)).toEqual([
      '2026-11-14T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
    ]);
    const second = await alerts.list({
      tenant: 'umbrella',
      limit: 2,
      ...(first.cursor ? { cursor: first.cursor } : {}),
    });
    expect(second.alerts.map((a) => a.startedAt)).toEqual([
      '2026-11-12T00:00:00.000Z',
      '2026-11-11T00:00:00.000Z',
    ]);
    const open = await alerts.list({ state: 'open', limit: 100 });
    expect(open.alerts.filter((a) => a.tenant === 'umbrella')).toHaveLength(5);
    await expect(alerts.list({ tenant: 'umbrella', cursor: 'not-a-cursor!' })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
  });
});
