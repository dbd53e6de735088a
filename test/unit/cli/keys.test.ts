import { describe, expect, it } from 'vitest';
import { fakeIo, LOCAL_STATUS, run } from './cli-fakes.js';

const STATUS = { '.tollgate/status.json': LOCAL_STATUS };
const KEY = `tg_k_${'A'.repeat(43)}`;
const created = {
  tenant: 'acme',
  keyId: 'AAAAAAAA',
  label: 'chat-api',
  createdAt: '2026-11-29T21:10:00.000Z',
  limits: { requestsPerSecond: 20, eventsPerSecond: 10_000 },
  key: KEY,
};

describe('tollgate keys', () => {
  it.each([
    [['keys', 'create', 'a b'], "'tenant'"],
    [['keys', 'create', 'acme', '--label', ''], '--label'],
    [['keys', 'create', 'acme', '--requests-per-second', '0'], '--requests-per-second'],
    [['keys', 'create', 'acme', '--requests-per-second', '1001'], '--requests-per-second'],
    [['keys', 'create', 'acme', '--events-per-second', '2.5'], '--events-per-second'],
    [['keys', 'list'], 'tenant'],
    [['keys', 'revoke', 'acme'], 'keyId'],
    [['keys', 'revoke', 'acme', 'short'], "'keyId'"],
  ])('tollgate %j exits 2 naming %s, calling nothing', async (argv, name) => {
    const io = fakeIo({ files: STATUS, api: () => [200, {}] });
    const result = await run(argv, io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(name);
    expect(io.requests).toEqual([]);
  });

  it('creates a key with its label and limits and prints it alone on stdout', async () => {
    const io = fakeIo({ files: STATUS, api: () => [201, created] });
    const result = await run(
      ['keys', 'create', 'acme', '--label', 'chat-api', '--requests-per-second', '20'],
      io,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${KEY}\n`);
    expect(result.stderr).toContain(
      'ingest key AAAAAAAA for acme (20 requests/s, 10000 events/s): shown once',
    );
    expect(io.requests).toEqual([
      {
        method: 'POST',
        url: 'http://127.0.0.1:4000/v1/tenants/acme/keys',
        headers: expect.objectContaining({ authorization: 'Bearer local-admin-token' }),
        body: { label: 'chat-api', limits: { requestsPerSecond: 20 } },
      },
    ]);
  });

  it('sends an empty body without flags and prints the JSON answer with --json', async () => {
    const io = fakeIo({ files: STATUS, api: () => [201, created] });
    const result = await run(['keys', 'create', 'acme', '--json'], io);
    expect(io.requests[0]?.body).toEqual({});
    expect(JSON.parse(result.stdout)).toEqual(created);
  });

  it('turns an API error about a limit into a usage error naming the flag', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        400,
        {
          error: {
            code: 'invalid_key_request',
            message: 'invalid key request: limits.eventsPerSecond: must be a whole number from 1 to 1000000',
            field: 'limits.eventsPerSecond',
          },
        },
      ],
    });
    const result = await run(['keys', 'create', 'acme', '--events-per-second', '5'], io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--events-per-second');
  });

  it('lists keys as a table, revoked ones with their time', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        200,
        {
          tenant: 'acme',
          keys: [
            { ...created, key: undefined, revokedAt: '2026-11-29T22:00:00.000Z' },
            { ...created, key: undefined, keyId: 'BBBBBBBB', label: '' },
          ],
        },
      ],
    });
    const result = await run(['keys', 'list', 'acme'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'GET',
      url: 'http://127.0.0.1:4000/v1/tenants/acme/keys',
    });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY ID\s+LABEL\s+CREATED\s+REVOKED\s+REQUESTS\/S\s+EVENTS\/S$/);
    expect(lines[1]).toMatch(
      /^AAAAAAAA\s+chat-api\s+2026-11-29T21:10:00.000Z\s+2026-11-29T22:00:00.000Z\s+20\s+10000$/,
    );
    expect(lines[2]).toMatch(/^BBBBBBBB\s+-\s+2026-11-29T21:10:00.000Z\s+-\s+20\s+10000$/);
    expect(result.stdout).not.toContain('tg_k_');
  });

  it('revokes a key by tenant and id', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [200, { ...created, key: undefined, revokedAt: '2026-11-29T22:00:00.000Z' }],
    });
    const result = await run(['keys', 'revoke', 'acme', 'AAAAAAAA'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'DELETE',
      url: 'http://127.0.0.1:4000/v1/tenants/acme/keys/AAAAAAAA',
    });
    expect(result.stdout).toBe('revoked ingest key AAAAAAAA of acme at 2026-11-29T22:00:00.000Z\n');
  });

  it('reports an unknown key as bad usage naming <keyId> (exit 2), with the API code', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        404,
        {
          error: {
            code: 'unknown_key',
            message: 'keyId: tenant "acme" has no ingest key AAAAAAAA',
            field: 'keyId',
          },
        },
      ],
    });
    const result = await run(['keys', 'revoke', 'acme', 'AAAAAAAA'], io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('<keyId>');
    expect(result.stderr).toContain('unknown_key');
  });
});
