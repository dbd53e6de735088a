import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucketRateLimiter } from '../../../functions/adapters/local/token-bucket-rate-limiter.js';
import {
  effectiveLimits,
  isIngestKeyFormat,
  keyIdOf,
  parseCreateIngestKeyInput,
} from '../../../shared/ingest/ingest-keys.js';
import {
  DEFAULT_INGEST_LIMITS,
  type RateLimits,
  rateWindowOf,
  type TokenBuckets,
  takeTokens,
  type WindowUsage,
  windowAdmits,
  windowRefusal,
  windowThresholds,
} from '../../../shared/ingest/rate-limit.js';

const LIMITS: RateLimits = { requestsPerSecond: 5, eventsPerSecond: 100 };
const T0 = 1_800_000_000_000;

describe('token buckets', () => {
  it('admit a second’s worth of requests at once, then refuse the next with the wait until a token', () => {
    let buckets: TokenBuckets | undefined;
    for (let i = 0; i < 5; i += 1) {
      const taken = takeTokens(buckets, { requests: 1, events: 1 }, LIMITS, T0);
      expect(taken.decision).toEqual({ allowed: true });
      buckets = taken.buckets;
    }
    const refused = takeTokens(buckets, { requests: 1, events: 1 }, LIMITS, T0);
    expect(refused.decision).toEqual({
      allowed: false,
      limit: 'requestsPerSecond',
      limitPerSecond: 5,
      retryAfterSeconds: 1, // one token refills in 200 ms: rounded up to whole seconds
    });
    // 200 ms later one token is back.
    expect(takeTokens(refused.buckets, { requests: 1, events: 1 }, LIMITS, T0 + 200).decision).toEqual({
      allowed: true,
    });
  });

  it('refuse on the events limit, naming it, with the wait until enough events refill', () => {
    const first = takeTokens(undefined, { requests: 1, events: 100 }, LIMITS, T0);
    const second = takeTokens(first.buckets, { requests: 1, events: 100 }, LIMITS, T0 + 500);
    // 50 events refilled; 100 needed at 100/s: 0.5 s more, rounded up to 1.
    expect(second.decision).toEqual({
      allowed: false,
      limit: 'eventsPerSecond',
      limitPerSecond: 100,
      retryAfterSeconds: 1,
    });
    expect(second.buckets.events).toBe(50); // a refused request takes nothing
  });

  it('let a request larger than the whole limit through a full bucket, and make the next wait for the debt', () => {
    const big = takeTokens(undefined, { requests: 1, events: 1000 }, LIMITS, T0);
    expect(big.decision.allowed).toBe(true);
    expect(big.buckets.events).toBe(-900);
    // 9 s to pay the debt and 1 s for a full bucket: 10 s.
    expect(takeTokens(big.buckets, { requests: 1, events: 1000 }, LIMITS, T0).decision).toMatchObject({
      allowed: false,
      retryAfterSeconds: 10,
    });
    expect(takeTokens(big.buckets, { requests: 1, events: 1000 }, LIMITS, T0 + 10_000).decision.allowed).toBe(
      true,
    );
  });

  it('never admit more than a second’s worth plus the refill over any run of requests', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gapMs: fc.integer({ min: 0, max: 400 }), events: fc.integer({ min: 1, max: 100 }) }),
          {
            maxLength: 200,
          },
        ),
        (requests) => {
          let buckets: TokenBuckets | undefined;
          let now = T0;
          let admittedRequests = 0;
          let admittedEvents = 0;
          for (const request of requests) {
            now += request.gapMs;
            const taken = takeTokens(buckets, { requests: 1, events: request.events }, LIMITS, now);
            buckets = taken.buckets;
            if (taken.decision.allowed) {
              admittedRequests += 1;
              admittedEvents += request.events;
            }
          }
          const seconds = (now - T0) / 1000;
          expect(admittedRequests).toBeLessThanOrEqual(LIMITS.requestsPerSecond * (1 + seconds) + 1e-9);
          expect(admittedEvents).toBeLessThanOrEqual(LIMITS.eventsPerSecond * (1 + seconds) + 1e-9);
        },
      ),
    );
  });

  it('are kept per subject by the in-memory limiter', async () => {
    let now = T0;
    const limiter = new TokenBucketRateLimiter(() => now);
    const one = { requests: 1, events: 1 };
    const limits = { requestsPerSecond: 1, eventsPerSecond: 10 };
    expect(await limiter.take('acme#a', one, limits)).toEqual({ allowed: true });
    expect((await limiter.take('acme#a', one, limits)).allowed).toBe(false);
    expect(await limiter.take('acme#b', one, limits)).toEqual({ allowed: true });
    now += 1000;
    expect(await limiter.take('acme#a', one, limits)).toEqual({ allowed: true });
  });
});

describe('fixed windows', () => {
  it('are whole epoch seconds', () => {
    expect(rateWindowOf(T0 + 250)).toEqual({ index: T0 / 1000, endMs: T0 + 1000 });
  });

  it('admit a cost while the counters stay within the limits, any cost in a new window', () => {
    const cost = { requests: 1, events: 40 };
    expect(windowThresholds(cost, LIMITS)).toEqual({ requests: 4, events: 60 });
    expect(windowAdmits({ requests: 4, events: 60 }, cost, LIMITS)).toBe(true);
    expect(windowAdmits({ requests: 5, events: 0 }, cost, LIMITS)).toBe(false);
    expect(windowAdmits({ requests: 0, events: 61 }, cost, LIMITS)).toBe(false);
    expect(windowAdmits(undefined, { requests: 1, events: 1000 }, LIMITS)).toBe(true);
    expect(windowAdmits({ requests: 0, events: 0 }, { requests: 1, events: 1000 }, LIMITS)).toBe(false);
  });

  it('refuse naming the limit crossed, retrying when the window ends', () => {
    const cost = { requests: 1, events: 40 };
    expect(windowRefusal({ requests: 5, events: 0 }, cost, LIMITS, T0 + 100)).toEqual({
      allowed: false,
      limit: 'requestsPerSecond',
      limitPerSecond: 5,
      retryAfterSeconds: 1,
    });
    expect(windowRefusal({ requests: 1, events: 90 }, cost, LIMITS, T0 + 100)).toMatchObject({
      limit: 'eventsPerSecond',
      limitPerSecond: 100,
    });
    expect(windowRefusal(undefined, cost, LIMITS, T0)).toMatchObject({ limit: 'requestsPerSecond' });
  });

  it('admit at most the limits in a window, whatever the order of costs', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 50 }), (costs) => {
        let used: WindowUsage | undefined;
        for (const events of costs) {
          const cost = { requests: 1, events };
          if (!windowAdmits(used, cost, LIMITS)) continue;
          used = { requests: (used?.requests ?? 0) + 1, events: (used?.events ?? 0) + events };
        }
        // Costs are at most 60 ≤ 100: no single request exceeds a limit alone.
        expect(used?.requests ?? 0).toBeLessThanOrEqual(LIMITS.requestsPerSecond);
        expect(used?.events ?? 0).toBeLessThanOrEqual(LIMITS.eventsPerSecond);
      }),
    );
  });
});

describe('ingest keys', () => {
  const key = `tg_k_${Buffer.alloc(32, 1).toString('base64url')}`;

  it('recognise the form tg_k_ + 43 base64url characters, and take the next 8 as the id', () => {
    expect(isIngestKeyFormat(key)).toBe(true);
    expect(keyIdOf(key)).toBe(key.slice(5, 13));
    expect(isIngestKeyFormat(`tg_t_${key.slice(5)}`)).toBe(false);
    expect(isIngestKeyFormat(`${key}A`)).toBe(false);
    expect(isIngestKeyFormat(key.replace(/.$/, '+'))).toBe(false);
  });

  it('are held to their own limits, else the defaults', () => {
    expect(effectiveLimits({})).toEqual(DEFAULT_INGEST_LIMITS);
    expect(effectiveLimits({ eventsPerSecond: 7 })).toEqual({ requestsPerSecond: 50, eventsPerSecond: 7 });
  });

  it('are created from a body with a label and limits, or none', () => {
    expect(parseCreateIngestKeyInput({})).toEqual({ ok: true, value: { label: '', limits: {} } });
    expect(parseCreateIngestKeyInput({ label: ' ci ', limits: { requestsPerSecond: 1000 } })).toEqual({
      ok: true,
      value: { label: 'ci', limits: { requestsPerSecond: 1000 } },
    });
    expect(parseCreateIngestKeyInput({ limits: { eventsPerSecond: 1_000_001 } })).toEqual({
      ok: false,
      issues: [{ path: 'limits.eventsPerSecond', message: 'must be a whole number from 1 to 1000000' }],
    });
  });
});
