/** Slack routing on its own: the configuration text parsed (errors name the field), and who gets what. */
import { describe, expect, it } from 'vitest';
import {
  parseSlackRouting,
  routesFor,
  SlackRoutingError,
  slackTargetOf,
} from '../../../shared/alerts/slack-routing.js';
import { aHardCapCrossing, aSpikeAlert } from '../../factories/alerts.js';

const HOOK = 'https://hooks.slack.com/services/T0/B0/secret';

describe('parseSlackRouting', () => {
  it('reads nothing or none as not configured, and one URL as one route for everything', () => {
    expect(parseSlackRouting('')).toBeUndefined();
    expect(parseSlackRouting(' None \n')).toBeUndefined();
    expect(parseSlackRouting(`${HOOK}\n`)).toEqual({ routes: [{ name: 'default', webhookUrl: HOOK }] });
  });

  it('reads a routing document, naming unnamed routes by position', () => {
    const routing = parseSlackRouting(
      JSON.stringify({
        routes: [
          { name: 'oncall', webhookUrl: HOOK, minSeverity: 'critical' },
          { webhookUrl: `${HOOK}2`, tenants: ['acme'], kinds: ['usage_spike', 'pipeline_alarm'] },
        ],
      }),
    );
    expect(routing?.routes).toEqual([
      { name: 'oncall', webhookUrl: HOOK, minSeverity: 'critical' },
      {
        name: 'route 2',
        webhookUrl: `${HOOK}2`,
        tenants: ['acme'],
        kinds: ['usage_spike', 'pipeline_alarm'],
      },
    ]);
  });

  it.each([
    ['hooks.slack.com/services/x', 'webhook'],
    ['{"routes": [', 'routing'],
    ['{"routes": []}', 'routes'],
    ['{"routes": [], "extra": 1}', 'extra'],
    [`{"routes": [{"webhookUrl": "http://hooks.slack.com/x"}]}`, 'routes[0].webhookUrl'],
    [`{"routes": [{"webhookUrl": "${HOOK}", "tenants": []}]}`, 'routes[0].tenants'],
    [`{"routes": [{"webhookUrl": "${HOOK}", "tenants": ["acme", 3]}]}`, 'routes[0].tenants[1]'],
    [`{"routes": [{"webhookUrl": "${HOOK}", "minSeverity": "high"}]}`, 'routes[0].minSeverity'],
    [`{"routes": [{"webhookUrl": "${HOOK}", "kinds": ["usage_spike", "spikes"]}]}`, 'routes[0].kinds[1]'],
    [`{"routes": [{"webhookUrl": "${HOOK}", "channel": "#ops"}]}`, 'routes[0].channel'],
    [`{"routes": [{"webhookUrl": "${HOOK}", "name": ""}]}`, 'routes[0].name'],
    [`{"routes": ["${HOOK}"]}`, 'routes[0]'],
  ])('refuses %s, naming %s and never echoing a URL', (text, field) => {
    let error: unknown;
    try {
      parseSlackRouting(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SlackRoutingError);
    expect((error as SlackRoutingError).field).toBe(field);
    expect((error as Error).message).not.toContain('hooks.slack.com');
  });

  it('admits http:// only when asked (a local test server)', () => {
    expect(() => parseSlackRouting('http://127.0.0.1:9/hook')).toThrow(SlackRoutingError);
    expect(parseSlackRouting('http://127.0.0.1:9/hook', { allowHttp: true })?.routes).toHaveLength(1);
  });
});

describe('routesFor', () => {
  const routing = parseSlackRouting(
    JSON.stringify({
      routes: [
        { name: 'all', webhookUrl: HOOK },
        { name: 'critical', webhookUrl: `${HOOK}/c`, minSeverity: 'critical' },
        { name: 'warning+', webhookUrl: `${HOOK}/w`, minSeverity: 'warning' },
        { name: 'acme', webhookUrl: `${HOOK}/a`, tenants: ['acme'] },
        { name: 'acme-dup', webhookUrl: `${HOOK}/a`, tenants: ['acme'] },
        { name: 'spend', webhookUrl: `${HOOK}/s`, kinds: ['spend_spike'] },
      ],
    }),
  );
  if (routing === undefined) throw new Error('routing');
  const names = (target: Parameters<typeof routesFor>[1]) => routesFor(routing, target).map((r) => r.name);

  it('matches every filter a route sets, and posts to each URL once', () => {
    expect(names({ tenant: 'acme', severity: 'critical', kind: 'usage_spike' })).toEqual([
      'all',
      'critical',
      'warning+',
      'acme',
    ]);
    expect(names({ tenant: 'globex', severity: 'info', kind: 'spend_spike' })).toEqual(['all', 'spend']);
    expect(names({ tenant: 'globex', severity: 'warning', kind: 'usage_drop' })).toEqual(['all', 'warning+']);
  });

  it('sends messages without a tenant (pipeline alarms) only to routes without a tenant filter', () => {
    expect(names({ severity: 'critical', kind: 'pipeline_alarm' })).toEqual(['all', 'critical', 'warning+']);
  });
});

describe('slackTargetOf', () => {
  it('takes an alert as it is, a crossing by its percent, an alarm by its state', () => {
    expect(slackTargetOf({ kind: 'alert', message: aSpikeAlert({ severity: 'warning' }) })).toEqual({
      tenant: 'acme',
      severity: 'warning',
      kind: 'usage_spike',
    });
    const crossing = aHardCapCrossing();
    expect(slackTargetOf({ kind: 'threshold', crossing })).toMatchObject({ severity: 'critical' });
    expect(
      slackTargetOf({ kind: 'threshold', crossing: { ...crossing, percent: 80, blocked: false } }),
    ).toMatchObject({ tenant: crossing.tenant, severity: 'warning', kind: 'entitlement_threshold' });
    expect(
      slackTargetOf({ kind: 'threshold', crossing: { ...crossing, percent: 50, blocked: false } }).severity,
    ).toBe('info');
    const alarm = { AlarmName: 'a', NewStateValue: 'OK', NewStateReason: 'r', StateChangeTime: 't' };
    expect(slackTargetOf({ kind: 'alarm', alarm })).toEqual({ severity: 'info', kind: 'pipeline_alarm' });
    expect(slackTargetOf({ kind: 'alarm', alarm: { ...alarm, NewStateValue: 'ALARM' } }).severity).toBe(
      'critical',
    );
  });
});
