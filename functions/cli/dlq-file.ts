/**
 * The local consumer's dead-letter file, `<dataDir>/consumer-dlq.jsonl`: one line per batch the
 * local event source gave up on (a `FailedBatchRecord`: shard, sequence range, reason …),
 * appended by the running runtime. `tollgate dlq replay` never rewrites it (the runtime may be
 * appending at the same time); it appends a marker line per replayed range instead:
 *
 *   {"replayed":{"shardId":…,"startSequenceNumber":…,"endSequenceNumber":…},"replayedAt":…}
 *
 * Entries are numbered from 1 in file order, markers left out; numbers never change. A marker
 * covers the entries of its range above it, not a later give-up of the same range.
 */
import { join } from 'node:path';
import * as z from 'zod';
import type { StreamRange } from '../../shared/metering/ports.js';
import { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { dataDirOf } from './status-file.js';

const sequenceNumber = z.string().regex(/^\d{1,129}$/);
const rangeSchema = z.object({
  shardId: z.string().min(1),
  startSequenceNumber: sequenceNumber,
  endSequenceNumber: sequenceNumber,
});
const entrySchema = rangeSchema.extend({
  reason: z.string(),
  batchSize: z.number().int(),
  streamArn: z.string(),
  approximateArrivalOfFirstRecord: z.string().optional(),
  approximateArrivalOfLastRecord: z.string().optional(),
  approximateInvokeCount: z.number().int().optional(),
  timestamp: z.string(),
});
const markerSchema = z.object({ replayed: rangeSchema, replayedAt: z.string() });

export type DlqRecord = z.infer<typeof entrySchema>;

export interface DlqEntry {
  /** 1-based position among the file's entries. */
  readonly index: number;
  readonly record: DlqRecord;
  /** When the range was last replayed, if ever. */
  readonly replayedAt?: string;
}

export interface DlqFile {
  readonly path: string;
  readonly entries: readonly DlqEntry[];
  /** Lines that are neither an entry nor a marker (e.g. cut short by a crash), 1-based. */
  readonly unreadableLines: readonly number[];
}

export function dlqPath(io: Pick<CliIo, 'env'>): string {
  return join(dataDirOf(io), 'consumer-dlq.jsonl');
}

const keyOf = (range: StreamRange) =>
  `${range.shardId}/${range.startSequenceNumber}/${range.endSequenceNumber}`;

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The file's entries with their replay markers folded in; no file means no entries. */
export async function readDlqFile(io: Pick<CliIo, 'env' | 'readFile'>): Promise<DlqFile> {
  const path = dlqPath(io);
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, entries: [], unreadableLines: [] };
    throw new CliError('invalid_input', `cannot read ${path}: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  const entries: Array<{ index: number; record: DlqRecord; replayedAt?: string }> = [];
  const unreadableLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const value = parseLine(line);
    const entry = entrySchema.safeParse(value);
    if (entry.success) {
      entries.push({ index: entries.length + 1, record: entry.data });
      return;
    }
    const marker = markerSchema.safeParse(value);
    if (!marker.success) {
      unreadableLines.push(i + 1);
      return;
    }
    // A marker covers the entries of its range written before it.
    const key = keyOf(marker.data.replayed);
    for (const earlier of entries)
      if (keyOf(earlier.record) === key) earlier.replayedAt = marker.data.replayedAt;
  });
  return { path, entries, unreadableLines };
}

/** Appends the marker of a replayed range. */
export async function markReplayed(
  io: Pick<CliIo, 'env' | 'appendFile'>,
  range: StreamRange,
  replayedAt: string,
): Promise<void> {
  const replayed = {
    shardId: range.shardId,
    startSequenceNumber: range.startSequenceNumber,
    endSequenceNumber: range.endSequenceNumber,
  };
  await io.appendFile(dlqPath(io), `${JSON.stringify({ replayed, replayedAt })}\n`);
}
