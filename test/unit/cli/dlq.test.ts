import { describe, expect, it } from 'vitest';
import type { FailedBatchRecord } from '../../../functions/local/event-source/types.js';
import { nextSequenceNumber } from '../../factories/events.js';
import { fakeIo, LOCAL_STATUS, NOW, run } from './cli-fakes.js';

const DLQ = '.tollgate/consumer-dlq.jsonl';

/** A line the local event source appends when it gives up on a batch. */
function givenUp(overrides: Partial<FailedBatchRecord> = {}): FailedBatchRecord {
  return {
    reason: 'RetryAttemptsExhausted',
    shardId: 'shardId-000000000000',
    startSequenceNumber: nextSequenceNumber(),
    endSequenceNumber: nextSequenceNumber(),
    batchSize: 2,
    streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/tollgate-usage-events',
    approximateArrivalOfFirstRecord: '2026-11-29T21:00:00.000Z',
    approximateArrivalOfLastRecord: '2026-11-29T21:00:01.000Z',
    approximateInvokeCount: 11,
    timestamp: '2026-11-29T21:05:00.000Z',
    ...overrides,
  };
}

const jsonl = (...lines: object[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join('');

describe('tollgate dlq list', () => {
  it('says so when the local consumer gave up on nothing', async () => {
    const result = await run(['dlq', 'list'], fakeIo());
    expect(result).toEqual({ code: 0, stdout: `no batches given up (${DLQ})\n`, stderr: '' });
  });

  it('numbers the entries from 1 and shows which were replayed, markers left out', async () => {
    const [first, second] = [givenUp(), givenUp({ shardId: 'shardId-000000000001' })];
    const marker = {
      replayed: {
        shardId: first.shardId,
        startSequenceNumber: first.startSequenceNumber,
        endSequenceNumber: first.endSequenceNumber,
      },
      replayedAt: '2026-11-29T21:09:00.000Z',
    };
    const io = fakeIo({ files: { [DLQ]: `${jsonl(first, marker, second)}{"cut sh` } });
    const result = await run(['dlq', 'list', '--json'], io);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      path: DLQ,
      entries: [
        { index: 1, ...first, replayedAt: '2026-11-29T21:09:00.000Z' },
        { index: 2, ...second, replayedAt: null },
      ],
    });
    expect(result.stderr).toBe(`warning: ${DLQ}: line 4 skipped (not an entry)\n`);
  });

  it('does not count a replay marker for a later give-up of the same range', async () => {
    const entry = givenUp();
    const marker = {
      replayed: {
        shardId: entry.shardId,
        startSequenceNumber: entry.startSequenceNumber,
        endSequenceNumber: entry.endSequenceNumber,
      },
      replayedAt: '2026-11-29T21:09:00.000Z',
    };
    const io = fakeIo({ files: { [DLQ]: jsonl(entry, marker, entry) } });
    const { stdout } = await run(['dlq', '--json'], io);
    expect(JSON.parse(stdout).entries.map((e: { replayedAt: string | null }) => e.replayedAt)).toEqual([
      '2026-11-29T21:09:00.000Z',
      null,
    ]);
  });

  it('reads the file under TOLLGATE_DATA_DIR', async () => {
    const io = fakeIo({
      env: { TOLLGATE_DATA_DIR: '/data' },
      files: { '/data/consumer-dlq.jsonl': jsonl(givenUp()) },
    });
    const { code, stdout } = await run(['dlq', 'list'], io);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^INDEX +GAVE UP +SHARD +FIRST +LAST +RECORDS +REASON +REPLAYED\n1 +2026-11-29T21:05:00\.000Z/,
    );
  });
});

describe('tollgate dlq replay', () => {
  it('needs exactly one of --all and --index', async () => {
    for (const argv of [
      ['dlq', 'replay'],
      ['dlq', 'replay', '--all', '--index', '1'],
    ]) {
      const result = await run(argv, fakeIo());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--all');
    }
    expect((await run(['dlq', 'replay', '--index', '0'], fakeIo())).stderr).toContain('--index');
  });

  it('names an index the file does not have', async () => {
    const io = fakeIo({ files: { [DLQ]: jsonl(givenUp()) } });
    const result = await run(['dlq', 'replay', '--index', '2'], io);
    expect(result).toMatchObject({
      code: 2,
      stderr: `error: --index: ${DLQ} has no entry 2 (it has 1 entry)\n`,
    });
  });

  it('has nothing to do when every entry was replayed', async () => {
    const entry = givenUp();
    const marker = {
      replayed: {
        shardId: entry.shardId,
        startSequenceNumber: entry.startSequenceNumber,
        endSequenceNumber: entry.endSequenceNumber,
      },
      replayedAt: new Date(NOW).toISOString(),
    };
    const io = fakeIo({ files: { [DLQ]: jsonl(entry, marker) } });
    const result = await run(['dlq', 'replay', '--all', '--json'], io);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ replayed: 0, failed: 0, entries: [] });
  });

  it('needs the running local stack', async () => {
    const io = fakeIo({ files: { [DLQ]: jsonl(givenUp()) } });
    const result = await run(['dlq', 'replay', '--all'], io);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no local runtime status at .tollgate/status.json');
  });

  it('refuses a status file without the tables and claim mode the consumer runs with', async () => {
    const io = fakeIo({ files: { [DLQ]: jsonl(givenUp()), '.tollgate/status.json': LOCAL_STATUS } });
    const result = await run(['dlq', 'replay', '--index', '1'], io);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('restart the local runtime');
  });
});
