/**
 * Throttling of HTTP ingest, per ingest key: the `RateLimiter` port and the two policies its
 * adapters apply, as pure functions of a clock reading.
 *
 * - Token buckets (one process, the local runtime): each limit is a bucket that holds one
 *   second's worth and refills continuously.
 * - Fixed one-second windows (shared by every Lambda container, on DynamoDB): a counter per key
 *   and second, raised by a conditional write that fails when the cost would cross a limit.
 *   A burst across a window boundary can reach twice the limit for an instant; the average over
 *   any two seconds stays within it.
 *
 * Both let a request whose cost exceeds a whole second's limit through when nothing else is
 * being spent (a full bucket, an empty window), so a limit below 1,000 events per second never
 * locks out a full batch; the debt is paid by the requests after it.
 */

export interface RateLimits {
  readonly requestsPerSecond: number;
  readonly eventsPerSecond: number;
}

/** What a key may send when it sets no limits of its own. */
export const DEFAULT_INGEST_LIMITS: RateLimits = { requestsPerSecond: 50, eventsPerSecond: 10_000 };

/** The largest per-key limits: one DynamoDB item takes about 1,000 writes per second. */
export const MAX_REQUESTS_PER_SECOND = 1_000;
export const MAX_EVENTS_PER_SECOND = 1_000_000;

export interface RateCost {
  readonly requests: number;
  readonly events: number;
}

/** The name of the limit that refused a request, as a key's `limits` property spells it. */
export type RateLimitName = keyof RateLimits;

export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly limit: RateLimitName;
      readonly limitPerSecond: number;
      /** Whole seconds, at least 1: the `Retry-After` header. */
      readonly retryAfterSeconds: number;
    };

export interface RateLimiter {
  /**
   * Spends `cost` from `subject`'s allowance under `limits`, or spends nothing and says which
   * limit refused it and when to try again.
   */
  take(subject: string, cost: RateCost, limits: RateLimits): Promise<RateDecision>;
}

const ALLOWED: RateDecision = { allowed: true };

function refused(limit: RateLimitName, limits: RateLimits, waitSeconds: number): RateDecision {
  return {
    allowed: false,
    limit,
    limitPerSecond: limits[limit],
    retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds - 1e-9)),
  };
}

// ── Token buckets ────────────────────────────────────────────────────────────────────────────

/** The two buckets of one subject; tokens may be negative (a debt). */
export interface TokenBuckets {
  readonly requests: number;
  readonly events: number;
  readonly atMs: number;
}

function refill(tokens: number, perSecond: number, elapsedMs: number): number {
  return Math.min(perSecond, tokens + (perSecond * Math.max(0, elapsedMs)) / 1000);
}

/**
 * Takes `cost` from the buckets (full when `buckets` is undefined). A bucket admits a cost when
 * it holds the cost, or is full; a refused request takes nothing.
 */
export function takeTokens(
  buckets: TokenBuckets | undefined,
  cost: RateCost,
  limits: RateLimits,
  nowMs: number,
): { readonly buckets: TokenBuckets; readonly decision: RateDecision } {
  const elapsed = buckets === undefined ? 0 : nowMs - buckets.atMs;
  const requests =
    buckets === undefined
      ? limits.requestsPerSecond
      : refill(buckets.requests, limits.requestsPerSecond, elapsed);
  const events =
    buckets === undefined ? limits.eventsPerSecond : refill(buckets.events, limits.eventsPerSecond, elapsed);
  const needRequests = Math.min(cost.requests, limits.requestsPerSecond);
  const needEvents = Math.min(cost.events, limits.eventsPerSecond);
  const now = { requests, events, atMs: nowMs };
  if (requests < needRequests) {
    return {
      buckets: now,
      decision: refused('requestsPerSecond', limits, (needRequests - requests) / limits.requestsPerSecond),
    };
  }
  if (events < needEvents) {
    return {
      buckets: now,
      decision: refused('eventsPerSecond', limits, (needEvents - events) / limits.eventsPerSecond),
    };
  }
  return {
    buckets: { requests: requests - cost.requests, events: events - cost.events, atMs: nowMs },
    decision: ALLOWED,
  };
}

// ── Fixed windows ────────────────────────────────────────────────────────────────────────────

export const RATE_WINDOW_MS = 1000;

export interface RateWindow {
  /** Epoch seconds of the window's start: part of the counter's key. */
  readonly index: number;
  readonly endMs: number;
}

export function rateWindowOf(nowMs: number): RateWindow {
  const index = Math.floor(nowMs / RATE_WINDOW_MS);
  return { index, endMs: (index + 1) * RATE_WINDOW_MS };
}

/** What a window has counted so far. */
export interface WindowUsage {
  readonly requests: number;
  readonly events: number;
}

/**
 * The most a window may have counted for `cost` still to fit: the conditional write's
 * thresholds (`r <= requests AND e <= events`). Negative when the cost alone exceeds a limit.
 */
export function windowThresholds(cost: RateCost, limits: RateLimits): WindowUsage {
  return {
    requests: limits.requestsPerSecond - cost.requests,
    events: limits.eventsPerSecond - cost.events,
  };
}

/** Whether a window with `used` so far (undefined: nothing yet) admits `cost`. */
export function windowAdmits(used: WindowUsage | undefined, cost: RateCost, limits: RateLimits): boolean {
  if (used === undefined) return true;
  const max = windowThresholds(cost, limits);
  return used.requests <= max.requests && used.events <= max.events;
}

/**
 * The decision for a window that did not admit `cost`: the limit crossed (the requests limit
 * when `used` is unknown), and the rest of the window as the wait.
 */
export function windowRefusal(
  used: WindowUsage | undefined,
  cost: RateCost,
  limits: RateLimits,
  nowMs: number,
): RateDecision {
  const max = windowThresholds(cost, limits);
  const limit: RateLimitName =
    used !== undefined && used.requests <= max.requests ? 'eventsPerSecond' : 'requestsPerSecond';
  return refused(limit, limits, (rateWindowOf(nowMs).endMs - nowMs) / 1000);
}
