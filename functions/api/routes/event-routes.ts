import { type AcceptEventsOutcome, acceptEvents } from '../../../shared/ingest/accept-events.js';
import { splitEventBatch } from '../../../shared/ingest/event-batch.js';
import { ApiError, errorResponse, jsonResponse, MAX_BODY_BYTES, payloadTooLarge } from '../api-error.js';
import type { ApiDeps, ApiRequest, ApiResponse, IngestApiDeps } from '../api-types.js';
import { header } from '../auth.js';
import type { RouteHandler } from '../route-context.js';

/** The media types of the contract (CONTRACT.md, "On the wire"); each takes one event or an array. */
export const EVENT_CONTENT_TYPES = [
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
] as const;

/** When to retry after the stream failed every record. */
const STREAM_RETRY_AFTER_SECONDS = 2;

function unsupported(code: string, message: string, field: string): ApiError {
  return new ApiError(415, code, message, field);
}

/** 415 unless the body is JSON (one of the contract's types, UTF-8) and not content-encoded. */
function checkMediaType(request: ApiRequest): void {
  const contentType = header(request, 'content-type');
  const expected = `content-type: must be ${EVENT_CONTENT_TYPES.join(', ')}`;
  if (contentType === undefined)
    throw unsupported('unsupported_media_type', `${expected}; none was sent`, 'content-type');
  const [type = '', ...parameters] = contentType.split(';');
  const mediaType = type.trim().toLowerCase();
  if (!(EVENT_CONTENT_TYPES as readonly string[]).includes(mediaType)) {
    throw unsupported('unsupported_media_type', `${expected}, not "${mediaType}"`, 'content-type');
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim().toLowerCase());
    if (name === 'charset' && value.replaceAll('"', '') !== 'utf-8') {
      throw unsupported('unsupported_media_type', 'content-type: the charset must be utf-8', 'content-type');
    }
  }
  const encoding = header(request, 'content-encoding')?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw unsupported(
      'unsupported_content_encoding',
      `content-encoding: send the body uncompressed, not "${encoding}"`,
      'content-encoding',
    );
  }
}

function responseOf(outcome: AcceptEventsOutcome, keyId: string): ApiResponse {
  if (outcome.kind === 'throttled') {
    const { limit, limitPerSecond, retryAfterSeconds } = outcome.decision;
    const what = limit === 'requestsPerSecond' ? 'requests' : 'events';
    return errorResponse(
      new ApiError(
        429,
        'rate_limited',
        `${limit}: ingest key ${keyId} may send ${limitPerSecond} ${what} per second; retry after ${retryAfterSeconds} s (nothing of this request was taken)`,
        limit,
        undefined,
        { 'retry-after': String(retryAfterSeconds) },
      ),
    );
  }
  const { accepted, rejected, failed, results } = outcome;
  if (outcome.streamUnavailable) {
    return jsonResponse(
      503,
      {
        error: {
          code: 'stream_unavailable',
          message: `the stream refused every event after retries; retry after ${STREAM_RETRY_AFTER_SECONDS} s (the events marked failed; a resend is counted once)`,
        },
        accepted,
        rejected,
        failed,
        results,
      },
      { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) },
    );
  }
  return jsonResponse(202, { accepted, rejected, failed, results });
}

/**
 * `POST /v1/events` (an ingest key): one event or an array of at most 1,000, at most 1 MiB.
 * 202 with one result per event (accepted, rejected with reason and field, or failed); 429 when
 * the key is over a limit; 503 when the stream took none of the valid events.
 */
export const postEvents: RouteHandler<IngestApiDeps> = async ({ request, deps, principal }) => {
  if (principal?.role !== 'ingest') throw new Error('POST /v1/events reached without an ingest key');
  checkMediaType(request);
  const text = request.body ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw payloadTooLarge();
  if (text.trim() === '')
    throw new ApiError(400, 'missing_body', 'body: send one event or an array of events', 'body');
  const batch = splitEventBatch(text);
  if (!batch.ok)
    throw new ApiError(batch.code === 'too_many_events' ? 413 : 400, batch.code, batch.message, 'body');
  const outcome = await acceptEvents(batch.items, principal, {
    ...deps.ingest,
    clock: deps.clock,
    logError: (message, details) => deps.logger.error(message, { ...details, requestId: request.requestId }),
  });
  deps.logger.info('events', {
    tenant: principal.tenant,
    keyId: principal.keyId,
    events: batch.items.length,
    ...(outcome.kind === 'throttled'
      ? { throttled: outcome.decision.limit }
      : { accepted: outcome.accepted, rejected: outcome.rejected, failed: outcome.failed }),
    requestId: request.requestId,
  });
  return responseOf(outcome, principal.keyId);
};

/** The ingest dependencies of the full API; 404 where another function serves `POST /v1/events`. */
export function ingestApiDeps(deps: ApiDeps): IngestApiDeps {
  if (deps.ingest === undefined) {
    throw new ApiError(
      404,
      'not_found',
      'path: POST /v1/events is served by the ingest function of this deployment',
      'path',
    );
  }
  return { ingest: deps.ingest, clock: deps.clock, logger: deps.logger };
}

/** A route of the ingest function, served by the full API. */
export function withIngestDeps(handle: RouteHandler<IngestApiDeps>): RouteHandler {
  return (context) => handle({ ...context, deps: ingestApiDeps(context.deps) });
}
