import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/local-config.js';

describe('the local runtime configuration', () => {
  it('uses the documented defaults', () => {
    expect(readLocalConfig({}, [])).toEqual({
      apiPort: 8787,
      dataDir: '.tollgate',
      catalogPath: 'config/catalog.yaml',
      tenantsPath: 'config/tenants.yaml',
      envelopeDedup: true,
      billingIntervalSeconds: 60,
      graceHours: 12,
      detectorIntervalSeconds: 60,
      fresh: false,
      demo: true,
      help: false,
    });
  });

  it('reads variables and flags', () => {
    const config = readLocalConfig(
      {
        TOLLGATE_API_PORT: '9000',
        TOLLGATE_DATA_DIR: '/tmp/x',
        TOLLGATE_ENVELOPE_DEDUP: 'off',
        TOLLGATE_KINESIS_PORT: '',
      },
      ['--fresh', '--no-demo'],
    );
    expect(config).toMatchObject({
      apiPort: 9000,
      dataDir: '/tmp/x',
      envelopeDedup: false,
      fresh: true,
      demo: false,
    });
    expect(config.kinesisPort).toBeUndefined();
  });

  it.each([
    [{ TOLLGATE_API_PORT: 'eighty' }, /TOLLGATE_API_PORT/],
    [{ TOLLGATE_DYNAMODB_PORT: '70000' }, /TOLLGATE_DYNAMODB_PORT/],
    [{ TOLLGATE_ADMIN_TOKEN: 'short' }, /TOLLGATE_ADMIN_TOKEN/],
    [{ TOLLGATE_ENVELOPE_DEDUP: 'yes' }, /TOLLGATE_ENVELOPE_DEDUP/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => readLocalConfig(env, [])).toThrow(message);
  });

  it('rejects an unknown flag naming it', () => {
    expect(() => readLocalConfig({}, ['--demo-off'])).toThrow(/--demo-off/);
  });
  it('takes Slack as one webhook URL or a routes file, checked at start, naming the variable and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-slack-'));
    const hook = 'https://hooks.slack.com/services/T0/B0/secret';
    expect(readLocalConfig({ TOLLGATE_SLACK_WEBHOOK_URL: hook }, []).slackRouting).toBe(hook);
    const routes = JSON.stringify({ routes: [{ webhookUrl: hook, minSeverity: 'critical' }] });
    const good = join(dir, 'routes.json');
    writeFileSync(good, routes);
    expect(readLocalConfig({ TOLLGATE_SLACK_ROUTES: good }, []).slackRouting).toBe(routes);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ routes: [{ webhookUrl: hook, tenants: 'acme' }] }));
    expect(() => readLocalConfig({ TOLLGATE_SLACK_ROUTES: bad }, [])).toThrow(
      /TOLLGATE_SLACK_ROUTES: .*bad\.json: routes\[0\]\.tenants: must be a non-empty array/,
    );
    expect(() => readLocalConfig({ TOLLGATE_SLACK_ROUTES: join(dir, 'missing.json') }, [])).toThrow(
      /TOLLGATE_SLACK_ROUTES: cannot read/,
    );
    expect(() =>
      readLocalConfig({ TOLLGATE_SLACK_ROUTES: good, TOLLGATE_SLACK_WEBHOOK_URL: hook }, []),
    ).toThrow(/not both/);
    expect(() => readLocalConfig({ TOLLGATE_SLACK_WEBHOOK_URL: 'hooks.slack.com/x' }, [])).toThrow(
      /TOLLGATE_SLACK_WEBHOOK_URL: must be an https/,
    );
  });
});
