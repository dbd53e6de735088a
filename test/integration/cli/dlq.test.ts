import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbClient, createKinesisClient } from '../../../functions/adapters/aws-clients.js';
import { KinesisStreamRangeReader } from '../../../functions/adapters/kinesis/kinesis-stream-range-reader.js';
import type { CliIo } from '../../../functions/cli/cli-io.js';
import { runCli } from '../../../functions/cli/program.js';
import type { FailedBatchRecord } from '../../../functions/local/event-source/types.js';
import { meterBatch } from '../../../shared/metering/meter-batch.js';
import { encodeRecord, makeEvent } from '../../factories/events.js';
import { putRecords, TEST_REGION } from '../support/local-stack.js';
import { createMeteringEnv, type MeteringEnv } from '../support/metering-env.js';

const TOKENS = 'llm.completion|model,workspace';

describe('tollgate dlq replay against the local stack', () => {
  let env: MeteringEnv;
  let dataDir: string;

  beforeAll(async () => {
    env = await createMeteringEnv({ shardCount: 1 });
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-dlq-'));
    // What `npm start` writes for a running stack.
    await writeFile(
      join(dataDir, 'status.json'),
      JSON.stringify({
        apiUrl: 'http://127.0.0.1:1',
        kinesisEndpoint: inject('kinesisEndpoint'),
        streamName: env.stack.streamName,
        dynamodbEndpoint: inject('dynamodbEndpoint'),
        region: TEST_REGION,
        adminToken: 'unused',
        tables: env.stack.tables,
        envelopeDedup: true,
      }),
    );
  });
  afterAll(async () => {
    await env.dispose();
  });

  function io(out: string[], err: string[]): CliIo {
    return {
      stdout: (text) => void out.push(text),
      stderr: (text) => void err.push(text),
      readStdin: async () => '',
      readFile: (path) => readFile(path, 'utf8'),
      appendFile: (path, text) => appendFile(path, text),
      env: { TOLLGATE_DATA_DIR: dataDir },
      cwd: '/',
      now: () => Date.parse('2026-11-29T22:00:00.000Z'),
      sleep: async () => {},
      fetch,
      kinesis: ({ endpoint, region }) =>
        createKinesisClient({ region, ...(endpoint === undefined ? {} : { endpoint }) }),
      dynamodb: ({ endpoint, region }) =>
        createDynamoDbClient({ region, ...(endpoint === undefined ? {} : { endpoint }) }),
      close: () => {},
    };
  }

  async function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, io(out, err));
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it('meters the given-up records once, marks the entry replayed and leaves nothing for a second run', async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const event = (input: number) =>
      makeEvent({ subject: 'acme', time, data: { model: 'dlq', workspace: 'w', input_tokens: input } });
    const put = await putRecords(env.stack.kinesis, env.stack.streamName, [
      { partitionKey: 'acme', data: encodeRecord([event(11), event(22)]) },
      { partitionKey: 'acme', data: encodeRecord([event(33)]) },
    ]);
    const range = {
      shardId: put[0]!.shardId,
      startSequenceNumber: put[0]!.sequenceNumber,
      endSequenceNumber: put[1]!.sequenceNumber,
    };
    // The first attempt claims the events and fails every counter write; the runtime gives up.
    const records = await new KinesisStreamRangeReader(env.stack.kinesis, {
      stream: env.stack.streamName,
    }).read(range);
    const failing = {
      ...env.deps,
      counters: {
        write: () => Promise.reject(new Error('injected: UpdateItem failed')),
        claimThresholds: () => Promise.reject(new Error('not reached')),
        completeThresholds: () => Promise.reject(new Error('not reached')),
      },
    };
    expect((await meterBatch(records, failing)).failedSequenceNumbers).toEqual([range.startSequenceNumber]);
    const givenUp: FailedBatchRecord = {
      reason: 'RetryAttemptsExhausted',
      ...range,
      batchSize: 2,
      streamArn: env.stack.streamArn,
      approximateArrivalOfFirstRecord: time,
      approximateArrivalOfLastRecord: time,
      approximateInvokeCount: 1,
      timestamp: time,
    };
    await writeFile(join(dataDir, 'consumer-dlq.jsonl'), `${JSON.stringify(givenUp)}\n`);

    const replayed = await cli(['dlq', 'replay', '--all', '--json']);
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({
      replayed: 1,
      failed: 0,
      entries: [
        { index: 1, outcome: { status: 'replayed', report: { records: 2, redelivered: 3, exact: true } } },
      ],
    });
    // 11 + 22 + 33 = 66 input tokens
    expect(await env.rollupTotal('acme', TOKENS, 'm_input_tokens')).toBe('66');

    const listed = await cli(['dlq', 'list', '--json']);
    expect(JSON.parse(listed.stdout).entries).toMatchObject([
      { index: 1, replayedAt: '2026-11-29T22:00:00.000Z' },
    ]);
    expect(JSON.parse((await cli(['dlq', 'replay', '--all', '--json'])).stdout)).toEqual({
      replayed: 0,
      failed: 0,
      entries: [],
    });
    // Replaying it again on purpose is harmless.
    expect((await cli(['dlq', 'replay', '--index', '1'])).code).toBe(0);
    expect(await env.rollupTotal('acme', TOKENS, 'm_input_tokens')).toBe('66');
  });
});
