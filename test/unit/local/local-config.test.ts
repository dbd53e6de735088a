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
});
