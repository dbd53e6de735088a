/**
 * The API on the laptop: a `node:http` server in front of the same core (`handleApiRequest`)
 * the Lambda uses. The local composition root supplies the dependencies.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorResponse, MAX_BODY_BYTES, payloadTooLarge } from './api-error.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './api-types.js';
import { handleApiRequest } from './handle-api-request.js';

export interface ApiServerOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly deps: ApiDeps;
}

export interface ApiServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

/** The body as text, or `undefined` when it is larger than `MAX_BODY_BYTES` (the rest is drained). */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks).toString('utf8');
}

export function apiRequestFromIncoming(request: IncomingMessage, body: string): ApiRequest {
  // Prefixing the origin keeps a path such as `//x/y` a path (not a host).
  const url = new URL(`http://localhost${request.url ?? '/'}`);
  const query: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name).join(',');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: request.method ?? 'GET',
    path: url.pathname,
    query,
    headers,
    ...(body === '' ? {} : { body }),
  };
}

function send(response: ServerResponse, result: ApiResponse): void {
  const body =
    result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  response.writeHead(result.status, { ...result.headers, 'content-length': body.byteLength });
  response.end(body);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { deps } = options;
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request);
        if (body === undefined) {
          send(response, errorResponse(payloadTooLarge()));
          return;
        }
        send(response, await handleApiRequest(apiRequestFromIncoming(request, body), deps));
      } catch (error) {
        // Only transport failures land here (the core answers every error itself).
        deps.logger.error('local API transport error', { path: request.url?.split('?')[0], error });
        if (!response.headersSent) {
          send(response, {
            status: 500,
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body: JSON.stringify({
              error: { code: 'internal_error', message: 'internal error; the cause is logged' },
            }),
          });
        } else {
          response.destroy();
        }
      }
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}
