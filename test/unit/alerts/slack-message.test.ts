import { describe, expect, it } from 'vitest';
import {
  SLACK_LIMITS,
  type SlackBlock,
  type SlackPayload,
  slackMessageForAlert,
  slackMessageForThreshold,
  sparkline,
} from '../../../shared/alerts/slack-message.js';
import { aHardCapCrossing, aSpikeAlert } from '../../factories/alerts.js';

const API = 'https://api.example.com/prod';

/** A spike alert: acme's input tokens at 5.2× normal since 14:00 UTC; `recent` ends on the spike. */

function blocksOf<T extends SlackBlock['type']>(payload: SlackPayload, type: T) {
  return payload.blocks.filter((block): block is Extract<SlackBlock, { type: T }> => block.type === type);
}

function headerText(payload: SlackPayload): string {
  return blocksOf(payload, 'header')[0]?.text.text ?? '';
}

function fieldTexts(payload: SlackPayload): string[] {
  return blocksOf(payload, 'section').flatMap((block) => (block.fields ?? []).map((f) => f.text));
}

function sectionTexts(payload: SlackPayload): string[] {
  return blocksOf(payload, 'section').map((block) => block.text?.text ?? '');
}

function contextText(payload: SlackPayload): string {
  return blocksOf(payload, 'context')
    .flatMap((block) => block.elements.map((e) => e.text))
    .join(' | ');
}

describe('a spike alert in Slack', () => {
  const payload = slackMessageForAlert(
    aSpikeAlert({ dimensions: { model: 'gpt-4o', workspace: '<script>' } }),
    {
      apiBaseUrl: API,
    },
  );

  it('leads with the severity emoji and the title, and says the same in the fallback text', () => {
    expect(headerText(payload)).toBe('🔴 acme: input_tokens at 5.2× normal');
    expect(payload.text).toBe('🔴 CRITICAL: acme: input_tokens at 5.2× normal (5.2× normal)');
    expect(payload.blocks[0]?.type).toBe('header');
  });

  it('lists who, which meter, how big against normal, since when and the window', () => {
    expect(fieldTexts(payload)).toEqual([
      '*Tenant*\nacme',
      '*Meter*\ninput_tokens\nmodel=gpt-4o · workspace=&lt;script&gt;',
      '*Observed*\n52,000 tokens (5.2× normal)',
      '*Expected*\n10,000 tokens',
      '*When*\nsince 14:00 UTC (1 h 2 min so far)',
      '*Window*\nNov 29, 14:00–15:00 UTC',
    ]);
    expect(sectionTexts(payload)[0]).toContain('acme used 52,000 input tokens');
  });

  it('draws the last 24 hours as a sparkline in a code span, with min and max', () => {
    const text = sectionTexts(payload).find((t) => t.startsWith('*Last 24 h*')) ?? '';
    const line = /`([^`]*)`/.exec(text)?.[1] ?? '';
    expect(line).toHaveLength(24);
    expect(line.endsWith('█')).toBe(true);
    expect(line.slice(0, 23)).toMatch(/^[▁▂]+$/);
    expect(text).toContain('min 9,000 · max 52,000');
  });

  it('says what to do and links the alert and the usage behind it', () => {
    expect(sectionTexts(payload)).toContain(
      '*What to do*\nCheck for a runaway agent or a retry loop in acme; a hard limit stops it.',
    );
    expect(contextText(payload)).toContain('alert `al_0123456789abcdefghjkmnpqrs`');
    expect(contextText(payload)).toContain(
      `<${API}/v1/tenants/acme/usage?meter=input_tokens&amp;from=2026-11-28&amp;windowSize=HOUR|usage>`,
    );
    expect(contextText(payload)).toContain(`<${API}/v1/alerts/al_0123456789abcdefghjkmnpqrs|alert>`);
  });

  it('escapes markup in every value, so no value can open a link or a mention', () => {
    const hostile = slackMessageForAlert(
      aSpikeAlert({
        tenant: 'a<b>&c',
        title: '<!channel> pay <https://evil.example|here>',
        summary: '<@U123>',
        action: 'x > y & z',
        unit: '<u>',
        dimensions: { '<k>': '<script>alert(1)</script>' },
      }),
      { apiBaseUrl: API },
    );
    const json = JSON.stringify(hostile);
    expect(json).not.toMatch(/<script|<!channel>|<@U123>|<https:\/\/evil|<u>|<k>|a<b>/);
    expect(json).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(fieldTexts(hostile)[0]).toBe('*Tenant*\na&lt;b&gt;&amp;c');
  });

  it('links as a path when the API base URL is not known', () => {
    const plain = slackMessageForAlert(aSpikeAlert(), {});
    expect(contextText(plain)).toContain('usage: `/v1/tenants/acme/usage?meter=input_tokens&amp;from=');
    expect(contextText(plain)).not.toContain('|usage>');
  });

  it('marks an update, and words a drop as a share of normal', () => {
    const drop = slackMessageForAlert(
      aSpikeAlert({
        type: 'alert.updated',
        kind: 'usage_drop',
        severity: 'warning',
        observed: '300',
        ratio: 0.03,
      }),
    );
    expect(headerText(drop)).toBe('🟠 Update: acme: input_tokens at 5.2× normal');
    expect(fieldTexts(drop)).toContain('*Observed*\n300 tokens (3% of normal)');
  });

  it('names the day when the incident started on an earlier one', () => {
    const overnight = slackMessageForAlert(aSpikeAlert({ startedAt: '2026-11-28T23:00:00.000Z' }));
    expect(fieldTexts(overnight)).toContain('*When*\nsince Nov 28, 23:00 UTC (16 h 2 min so far)');
  });

  it('keeps every text within Slack limits, never cutting an escaped character in half', () => {
    const long = slackMessageForAlert(
      aSpikeAlert({ title: '<'.repeat(400), summary: '&'.repeat(5000), action: 'a'.repeat(5000) }),
    );
    const header = headerText(long);
    expect(header.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    expect(header).toMatch(/^🔴 (&lt;)+…$/);
    for (const text of sectionTexts(long)) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.section);
    expect(sectionTexts(long)[0]).toMatch(/^(&amp;)+…$/);
    for (const text of fieldTexts(long)) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
  });
});

describe('a resolved alert in Slack', () => {
  it('is a short ✅ message saying how long the incident lasted', () => {
    const payload = slackMessageForAlert(
      aSpikeAlert({
        type: 'alert.resolved',
        state: 'resolved',
        severity: 'critical',
        observed: '10100',
        resolvedAt: '2026-11-29T17:20:00.000Z',
        updatedAt: '2026-11-29T17:20:00.000Z',
      }),
      { apiBaseUrl: API },
    );
    expect(headerText(payload)).toBe('✅ Resolved: usage spike · acme · input_tokens (model=gpt-4o)');
    expect(payload.text).toBe(
      '✅ Resolved: usage spike · acme · input_tokens (model=gpt-4o) after 3 h 20 min',
    );
    expect(sectionTexts(payload)).toEqual([
      '*acme* · input_tokens · model=gpt-4o is back to normal after *3 h 20 min* (14:00–17:20 UTC).\n' +
        'Last hour: 10,100 tokens (expected 10,000 tokens)',
    ]);
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'context']);
    expect(contextText(payload)).toContain('|usage>');
  });
});

describe('a threshold crossing in Slack', () => {
  it('says BLOCKED when a hard cap reaches 100%', () => {
    const payload = slackMessageForThreshold(aHardCapCrossing(), { apiBaseUrl: API });
    expect(headerText(payload)).toBe('⛔ BLOCKED: globex reached 100% of monthly-input-tokens');
    expect(payload.text).toContain('BLOCKED: globex reached 100% of monthly-input-tokens (20,000 of 20,000');
    expect(sectionTexts(payload)[0]).toContain('Further usage is rejected until the period ends');
    expect(fieldTexts(payload)).toEqual([
      '*Tenant*\nglobex',
      '*Entitlement*\nmonthly-input-tokens (hard)',
      '*Used*\n20,000 of 20,000 input_tokens (100%)',
      '*Period*\nNov 1 – Nov 30, 2026',
      '*Rejected*\n9,700 input_tokens',
    ]);
    expect(contextText(payload)).toContain(`<${API}/v1/tenants/globex/entitlements|entitlements>`);
  });

  it('warns without BLOCKED at 80% of a soft limit, naming its scope', () => {
    const payload = slackMessageForThreshold(
      aHardCapCrossing({
        tenant: 'acme',
        mode: 'soft',
        percent: 80,
        used: '40500',
        limit: '50000',
        rejected: '0',
        blocked: false,
        scope: { workspace: 'support & sales' },
      }),
    );
    expect(headerText(payload)).toBe('🟠 acme reached 80% of monthly-input-tokens');
    expect(JSON.stringify(payload)).not.toContain('BLOCKED');
    expect(fieldTexts(payload)).toContain(
      '*Entitlement*\nmonthly-input-tokens (soft)\nworkspace=support &amp; sales',
    );
    expect(fieldTexts(payload)).toContain('*Used*\n40,500 of 50,000 input_tokens (81%)');
    expect(sectionTexts(payload)).toContain(
      '*What to do*\nNothing is blocked yet. Check whether the customer expects to reach the limit before the period ends.',
    );
  });
});

describe('sparkline', () => {
  it('scales values between their minimum and maximum, one bar each', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([10, 80, 10])).toBe('▁█▁');
  });

  it('draws a flat series mid-height (or at the floor when it is all zero), and a gap for a non-number', () => {
    expect(sparkline([5, 5, 5])).toBe('▄▄▄');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([1, Number.NaN, 3])).toBe('▁ █');
    expect(sparkline([])).toBe('');
  });
});
