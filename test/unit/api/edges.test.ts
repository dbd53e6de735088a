import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { apiGatewayResult, apiRequestFromEvent } from '../../../functions/api/api-gateway.js';
import { type ApiServer, startApiServer } from '../../../functions/api/local-server.js';
import { fetchSecretString, readAwsApiConfig, secretOnce } from '../../../functions/composition/aws-api.js';
import { usageCatalog } from '../usage/usage-factory.js';
import { ADMIN_TOKEN, testApi } from './api-fakes.js';

function gatewayEvent(
  overrides: Partial<APIGatewayProxyEventV2> & { stage?: string; method?: string },
): APIGatewayProxyEventV2 {
  const { stage = '$default', method = 'GET', ...rest } = overrides;
  return {
    version: '2.0',
    routeKey: 'ANY /v1/{proxy+}',
    rawPath: '/v1/health',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method,
        path: rest.rawPath ?? '/v1/health',
        protocol: 'HTTP/1.1',
        sourceIp: '1.2.3.4',
        userAgent: 'test',
      },
      requestId: 'req-1',
      routeKey: 'ANY /v1/{proxy+}',
      stage,
      time: '',
      timeEpoch: 0,
    },
    ...rest,
  };
}

describe('API Gateway payload v2', () => {
  it('turns an event into a request: path, query, headers, request id', () => {
    const request = apiRequestFromEvent(
      gatewayEvent({
        rawPath: '/v1/tenants/acme/usage',
        queryStringParameters: { meter: 'calls', groupBy: 'model,workspace' },
        headers: { authorization: 'Bearer x' },
      }),
    );
    expect(request).toEqual({
      method: 'GET',
      path: '/v1/tenants/acme/usage',
      query: { meter: 'calls', groupBy: 'model,workspace' },
      headers: { authorization: 'Bearer x' },
      body: undefined,
      requestId: 'req-1',
    });
  });

  it('strips a named stage from the path and decodes a base64 body', () => {
    const request = apiRequestFromEvent(
      gatewayEvent({
        stage: 'prod',
        method: 'PUT',
        rawPath: '/prod/v1/tenants/acme',
        body: Buffer.from('{"plan":"pro"}').toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(request).toMatchObject({ method: 'PUT', path: '/v1/tenants/acme', body: '{"plan":"pro"}' });
  });

  it('answers with status, headers and body', () => {
    expect(
      apiGatewayResult({ status: 404, headers: { 'content-type': 'application/json' }, body: '{}' }),
    ).toEqual({
      statusCode: 404,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
  });
});

describe('the local server', () => {
  let server: ApiServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the same core over node:http', async () => {
    const api = testApi(usageCatalog.catalog);
    server = await startApiServer({ port: 0, deps: api.deps });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/v1/health`);
    expect(await health.json()).toEqual({ status: 'ok', catalogVersion: 1 });
    const put = await fetch(`${server.url}/v1/tenants/acme?ignored=1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ plan: 'pro' }),
    });
    expect(put.status).toBe(201);
    const missing = await fetch(`${server.url}//v1/nothing`);
    expect(missing.status).toBe(404);
  });

  it('answers 413 for a body over 1 MiB without buffering it', async () => {
    const api = testApi(usageCatalog.catalog);
    server = await startApiServer({ port: 0, deps: api.deps });
    const response = await fetch(`${server.url}/v1/catalog`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large', field: 'body' } });
  });
});

describe('the AWS composition root', () => {
  const env = {
    TOLLGATE_USAGE_TABLE: 'usage',
    TOLLGATE_CONFIG_TABLE: 'config',
    TOLLGATE_QUARANTINE_TABLE: 'quarantine',
    TOLLGATE_QUARANTINE_BUCKET: 'quarantine-blobs',
    TOLLGATE_STREAM_NAME: 'events',
    TOLLGATE_ADMIN_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin',
    AWS_REGION: 'us-east-1',
  };

  it('reads the environment once, naming each missing or bad variable', () => {
    expect(readAwsApiConfig(env)).toEqual(env);
    const { TOLLGATE_USAGE_TABLE: _, ...missing } = env;
    expect(() => readAwsApiConfig({ ...missing, TOLLGATE_ADMIN_TOKEN_SECRET_ARN: 'admin' })).toThrow(
      /TOLLGATE_USAGE_TABLE: is not set; TOLLGATE_ADMIN_TOKEN_SECRET_ARN: /,
    );
  });

  it('fetches the admin token once, and again only after a failure', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'the-token\n' });
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const token = secretOnce(() => fetchSecretString(client, env.TOLLGATE_ADMIN_TOKEN_SECRET_ARN));
    await expect(token()).rejects.toThrow('throttled');
    expect(await token()).toBe('the-token');
    expect(await token()).toBe('the-token');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    secrets.restore();
  });
});
