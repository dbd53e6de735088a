import {
  type RateCost,
  type RateDecision,
  type RateLimiter,
  type RateLimits,
  type TokenBuckets,
  takeTokens,
} from '../../../shared/ingest/rate-limit.js';

/**
 * Token buckets in this process's memory (the local runtime has one API process): a second's
 * worth of each limit, refilled continuously (`takeTokens`).
 */
export class TokenBucketRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, TokenBuckets>();

  constructor(private readonly clock: () => number = Date.now) {}

  async take(subject: string, cost: RateCost, limits: RateLimits): Promise<RateDecision> {
    const { buckets, decision } = takeTokens(this.#buckets.get(subject), cost, limits, this.clock());
    this.#buckets.set(subject, buckets);
    return decision;
  }
}
