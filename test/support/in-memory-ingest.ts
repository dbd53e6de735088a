/**
 * Fakes for HTTP ingest: ingest keys in memory (the semantics of `DynamoDbIngestKeyStore`) and a
 * rate limiter that records what it was asked and answers what the test says.
 */
import type { IngestKey, IngestKeyStore } from '../../shared/ingest/ingest-keys.js';
import type { RateCost, RateDecision, RateLimiter, RateLimits } from '../../shared/ingest/rate-limit.js';

export class InMemoryIngestKeyStore implements IngestKeyStore {
  /** By sha256 hex, as the authentication items are keyed. */
  readonly byHash = new Map<string, IngestKey>();
  lookups = 0;

  async createIngestKey(hash: string, key: IngestKey): Promise<boolean> {
    const taken = [...this.byHash.values()].some((k) => k.tenant === key.tenant && k.keyId === key.keyId);
    if (taken || this.byHash.has(hash)) return false;
    this.byHash.set(hash, key);
    return true;
  }

  async getIngestKey(hash: string): Promise<IngestKey | undefined> {
    this.lookups += 1;
    return this.byHash.get(hash);
  }

  async listIngestKeys(tenant: string): Promise<IngestKey[]> {
    return [...this.byHash.values()].filter((key) => key.tenant === tenant);
  }

  async revokeIngestKey(tenant: string, keyId: string, at: string): Promise<IngestKey | undefined> {
    for (const [hash, key] of this.byHash) {
      if (key.tenant !== tenant || key.keyId !== keyId) continue;
      if (key.revokedAt !== undefined) return key;
      const revoked = { ...key, revokedAt: at };
      this.byHash.set(hash, revoked);
      return revoked;
    }
    return undefined;
  }
}

export class ScriptedRateLimiter implements RateLimiter {
  readonly calls: Array<{ subject: string; cost: RateCost; limits: RateLimits }> = [];
  decision: RateDecision = { allowed: true };
  failure: Error | undefined;

  async take(subject: string, cost: RateCost, limits: RateLimits): Promise<RateDecision> {
    this.calls.push({ subject, cost, limits });
    if (this.failure !== undefined) throw this.failure;
    return this.decision;
  }
}
