import { describe, expect, it } from 'vitest';
import { CachedIngestKeyLookup } from '../../../functions/adapters/dynamodb/cached-config-sources.js';
import type { IngestKey } from '../../../shared/ingest/ingest-keys.js';
import { InMemoryIngestKeyStore } from '../../support/in-memory-ingest.js';

describe('CachedIngestKeyLookup', () => {
  const key: IngestKey = { keyId: 'AAAAAAAA', tenant: 'acme', label: '', createdAt: '', limits: {} };

  it('answers from the cache within its time (a miss too), then reads again', async () => {
    const store = new InMemoryIngestKeyStore();
    store.byHash.set('h1', key);
    let now = 0;
    const cached = new CachedIngestKeyLookup(store, 60_000, () => now);
    expect(await cached.getIngestKey('h1')).toEqual(key);
    expect(await cached.getIngestKey('h2')).toBeUndefined();
    store.byHash.set('h1', { ...key, revokedAt: 'then' });
    now = 59_999;
    expect(await cached.getIngestKey('h1')).toEqual(key);
    expect(await cached.getIngestKey('h2')).toBeUndefined();
    expect(store.lookups).toBe(2);
    now = 60_000;
    expect(await cached.getIngestKey('h1')).toMatchObject({ revokedAt: 'then' });
    expect(store.lookups).toBe(3);
  });

  it('starts again empty past its size, so unknown keys cannot grow it without bound', async () => {
    const store = new InMemoryIngestKeyStore();
    const cached = new CachedIngestKeyLookup(store, 60_000, () => 0, 2);
    await cached.getIngestKey('a');
    await cached.getIngestKey('b');
    await cached.getIngestKey('c'); // full: clears, then keeps c
    await cached.getIngestKey('a'); // cleared: read again
    expect(store.lookups).toBe(4);
    await cached.getIngestKey('c'); // kept after the clear
    expect(store.lookups).toBe(4);
  });
});
