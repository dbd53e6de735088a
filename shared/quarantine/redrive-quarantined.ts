/**
 * `redriveQuarantined`: puts quarantined bytes back on the stream so that the consumer files
 * them again, now that the cause may be fixed (the tenant set up, the meter published).
 *
 * 1. List the matching entries, newest first, up to `limit` — leaving out those already
 *    re-driven unless `includeRedriven`.
 * 2. Per chunk of entries: read each one's bytes (inline, or from the blob store), put each as
 *    one record with the entry's original partition key, and mark the entries whose record the
 *    stream took with `redrivenAt`.
 *
 * Exactly-once is the consumer's: an event counted before (or re-driven twice) is acknowledged
 * as a duplicate of its (subject, id). An entry whose cause remains — a record that is still
 * not JSON, an event now older than the 35-day horizon, a tenant still unknown — is simply
 * quarantined again, as a new entry with a new receive time; the old entry keeps `redrivenAt`.
 */
import { MAX_RECORD_BYTES } from '../contract/usage-event.js';
import type { RecordToWrite } from '../ingest/stream-writer.js';
import { toIso } from '../time/windows.js';
import type { QuarantinedItem, QuarantineListQuery } from './quarantine-query.js';
import {
  MAX_REDRIVE_LIMIT,
  type RedriveDeps,
  type RedriveEntryResult,
  type RedriveErrorCode,
  type RedriveInput,
  type RedriveReport,
} from './redrive.js';

/** Entries whose bytes are held in memory at once (blobs are up to 1 MiB each). */
const CHUNK_SIZE = 50;

function withoutBytes(entry: QuarantinedItem): Omit<QuarantinedItem, 'bytes'> {
  const { bytes: _bytes, ...rest } = entry;
  return rest;
}

function failed(entry: QuarantinedItem, code: RedriveErrorCode, message: string): RedriveEntryResult {
  return { entry: withoutBytes(entry), status: 'failed', error: { code, message } };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The matching entries, newest first, paging the reader until `limit` or the end. */
async function listMatching(deps: RedriveDeps, input: RedriveInput): Promise<QuarantinedItem[]> {
  const limit = Math.min(Math.max(1, input.limit), MAX_REDRIVE_LIMIT);
  const wanted = (entry: QuarantinedItem) => input.includeRedriven === true || entry.redrivenAt === undefined;
  const matched: QuarantinedItem[] = [];
  let cursor: string | undefined;
  do {
    const query: QuarantineListQuery = {
      ...(input.tenant === undefined ? {} : { tenant: input.tenant }),
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      limit: limit - matched.length,
      ...(cursor === undefined ? {} : { cursor }),
      ...(input.includeRedriven === true ? {} : { excludeRedriven: true }),
    };
    const page = await deps.quarantine.list(query);
    matched.push(...page.entries.filter(wanted));
    cursor = page.nextCursor;
  } while (cursor !== undefined && matched.length < limit);
  return matched.slice(0, limit);
}

/** The entry's original bytes, or why they cannot be had. */
async function bytesOf(
  deps: RedriveDeps,
  entry: QuarantinedItem,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; result: RedriveEntryResult }> {
  if (entry.bytes !== undefined) return { ok: true, bytes: entry.bytes };
  if (entry.blobKey === undefined) {
    return { ok: false, result: failed(entry, 'bytes_missing', 'the entry has neither bytes nor a blobKey') };
  }
  try {
    const bytes = await deps.blobs.get(entry.blobKey);
    if (bytes !== undefined) return { ok: true, bytes };
    return {
      ok: false,
      result: failed(entry, 'bytes_missing', `blob "${entry.blobKey}" is not in the blob store`),
    };
  } catch (error) {
    return {
      ok: false,
      result: failed(entry, 'bytes_unreadable', `blob "${entry.blobKey}": ${messageOf(error)}`),
    };
  }
}

async function redriveChunk(
  deps: RedriveDeps,
  entries: readonly QuarantinedItem[],
): Promise<RedriveEntryResult[]> {
  const results: Array<RedriveEntryResult | undefined> = entries.map(() => undefined);
  const toPut: Array<{ index: number; record: RecordToWrite }> = [];
  const read = await Promise.all(entries.map((entry) => bytesOf(deps, entry)));
  read.forEach((outcome, index) => {
    const entry = entries[index]!;
    if (!outcome.ok) {
      results[index] = outcome.result;
      return;
    }
    const size = outcome.bytes.byteLength + Buffer.byteLength(entry.partitionKey, 'utf8');
    if (size > MAX_RECORD_BYTES) {
      results[index] = failed(
        entry,
        'too_large',
        `${size} bytes with the partition key; a Kinesis record holds ${MAX_RECORD_BYTES}`,
      );
      return;
    }
    toPut.push({ index, record: { partitionKey: entry.partitionKey, data: outcome.bytes } });
  });

  const outcomes = toPut.length === 0 ? [] : await deps.stream.putRecords(toPut.map((p) => p.record));
  const at = toIso(deps.clock());
  await Promise.all(
    toPut.map(async ({ index }, i) => {
      const entry = entries[index]!;
      const outcome = outcomes[i];
      if (outcome === undefined || !outcome.ok) {
        results[index] = failed(
          entry,
          'put_failed',
          outcome === undefined ? 'the stream gave no outcome' : `${outcome.errorCode}: ${outcome.message}`,
        );
        return;
      }
      const record = { shardId: outcome.shardId, sequenceNumber: outcome.sequenceNumber };
      let problem: string | undefined;
      try {
        if (!(await deps.marker.markRedriven(entry, at))) problem = 'the entry no longer exists';
      } catch (error) {
        problem = messageOf(error);
      }
      results[index] =
        problem === undefined
          ? { entry: { ...withoutBytes(entry), redrivenAt: at }, status: 'redriven', record, redrivenAt: at }
          : {
              entry: withoutBytes(entry),
              status: 'redriven_unmarked',
              record,
              error: { code: 'mark_failed', message: problem },
            };
    }),
  );
  return results.map((result, index) => result ?? failed(entries[index]!, 'put_failed', 'not attempted'));
}

/** Re-drives the matching entries (see the file comment). Listing errors are thrown. */
export async function redriveQuarantined(deps: RedriveDeps, input: RedriveInput): Promise<RedriveReport> {
  const matched = await listMatching(deps, input);
  if (input.dryRun === true) {
    return {
      dryRun: true,
      matched: matched.length,
      redriven: 0,
      failed: 0,
      entries: matched.map((entry) => ({ entry: withoutBytes(entry), status: 'would_redrive' })),
    };
  }
  const entries: RedriveEntryResult[] = [];
  for (let start = 0; start < matched.length; start += CHUNK_SIZE) {
    entries.push(...(await redriveChunk(deps, matched.slice(start, start + CHUNK_SIZE))));
  }
  return {
    dryRun: false,
    matched: matched.length,
    redriven: entries.filter((e) => e.status === 'redriven' || e.status === 'redriven_unmarked').length,
    failed: entries.filter((e) => e.status === 'failed').length,
    entries,
  };
}
