/**
 * The request-handling core of the ingest function: `POST /v1/events` alone, authenticated by
 * an ingest key. It holds no admin token and no config store, and bundles none of the read
 * API's routes. The local server serves the same route through `handleApiRequest`.
 */
import { ApiError } from './api-error.js';
import type { ApiRequest, ApiResponse, IngestApiDeps } from './api-types.js';
import { authenticateIngestKey, type IngestPrincipal } from './auth.js';
import { postEvents } from './routes/event-routes.js';
import { type Route, route, serveRoutes } from './routing.js';

export const INGEST_ROUTES: readonly Route<IngestApiDeps>[] = [
  route<IngestApiDeps>('POST', '/v1/events', 'ingest', postEvents),
];

async function authorize(
  ingestRoute: Route<IngestApiDeps>,
  request: ApiRequest,
  deps: IngestApiDeps,
): Promise<IngestPrincipal> {
  if (ingestRoute.access !== 'ingest') {
    throw new Error(`the ingest function serves ingest routes only, not ${ingestRoute.access}`);
  }
  return authenticateIngestKey(request, deps.ingest.keys);
}

export function handleIngestRequest(request: ApiRequest, deps: IngestApiDeps): Promise<ApiResponse> {
  return serveRoutes(request, deps, {
    routes: INGEST_ROUTES,
    authorize,
    apiErrorOf: (error) => (error instanceof ApiError ? error : undefined),
  });
}
