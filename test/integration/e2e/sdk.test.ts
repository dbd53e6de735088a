import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKinesisClient } from '../../../functions/adapters/aws-clients.js';
import { KinesisPutTransport } from '../../../functions/adapters/kinesis/kinesis-put-transport.js';
import { readLocalConfig } from '../../../functions/local/local-config.js';
import {
  LOCAL_REGION,
  type LocalRuntime,
  startLocalRuntime,
} from '../../../functions/local/local-runtime.js';
import type { RecordToWrite, RecordWriteOutcome } from '../../../shared/ingest/stream-writer.js';
import type { PutRecordsTransport } from '../../../shared/sdk/put-with-retry.js';
import { UsageClient } from '../../../shared/sdk/usage-client.js';

/**
 * The SDK against the real pipeline: the Kinesis emulator, the consumer behind the poller,
 * DynamoDB Local, read back through the API. Kinesis misbehaves on purpose (throttling, a
 * response lost after the records landed); the usage must still be counted exactly once.
 */
describe('the producer SDK, end to end', () => {
  let runtime: LocalRuntime;
  let usageOf: (agent: string) => Promise<string>;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sdk-'));
    const config = readLocalConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_PORT: '0' }, ['--no-demo']);
    runtime = await startLocalRuntime(config, () => {});
    usageOf = async (workspace) => {
      const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const response = await fetch(
        `${runtime.status.apiUrl}/v1/tenants/acme/usage?meter=input_tokens&from=${from}&to=${to}&groupBy=workspace`,
        { headers: { authorization: `Bearer ${runtime.status.adminToken}` } },
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        rows: Array<{ group: { workspace: string }; value: string }>;
      };
      return body.rows.find((row) => row.group.workspace === workspace)?.value ?? '0';
    };
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  /** Kinesis with faults: the first request is throttled record by record, the second lands but its answer is lost. */
  class FaultyKinesis implements PutRecordsTransport {
    calls = 0;
    resentEvents = 0;
    constructor(private readonly inner: PutRecordsTransport) {}
    async putRecords(records: readonly RecordToWrite[]): Promise<readonly RecordWriteOutcome[]> {
      this.calls += 1;
      const call = this.calls;
      if (call === 1) {
        return records.map(() => ({
          ok: false,
          errorCode: 'ProvisionedThroughputExceededException',
          message: 'Rate exceeded for shard',
        }));
      }
      const outcomes = await this.inner.putRecords(records);
      if (call === 2) {
        this.resentEvents = records.length;
        throw Object.assign(new Error('socket hang up after the records landed'), { name: 'TimeoutError' });
      }
      return outcomes;
    }
  }

  it.each([
    ['per-event dedup', false, 'sdk-events'],
    ['envelope dedup', true, 'sdk-envelopes'],
  ])(
    'counts every event once through throttling and a lost response (%s)',
    async (_name, envelopes, workspace) => {
      const kinesis = createKinesisClient({ endpoint: runtime.status.kinesisEndpoint, region: LOCAL_REGION });
      const faulty = new FaultyKinesis(new KinesisPutTransport(kinesis, runtime.status.streamName));
      const usage = new UsageClient({
        transport: faulty,
        envelopes,
        drainOnExit: false,
        maxBatchEvents: 100,
        retry: { baseDelayMs: 10 },
        context: { subject: 'acme', source: 'sdk-e2e', workspace, project: 'p1' },
      });
      let expected = 0;
      for (let i = 0; i < 250; i += 1) {
        const tokens = 100 + i;
        expected += tokens;
        usage.trackUsage(
          { provider: 'openai', model: 'gpt-4o', inputTokens: tokens, outputTokens: 10, latencyMs: 5 },
          { agent: `agent-${i % 7}` },
        );
      }
      const stats = await usage.close();
      expect(stats).toMatchObject({ recorded: 250, sentEvents: 250, failedEvents: 0, droppedEvents: 0 });
      expect(stats.retriedRecords).toBeGreaterThan(0);
      expect(faulty.resentEvents).toBeGreaterThan(0); // some records are on the stream twice
      await runtime.poller.drain({ timeoutMs: 60_000 });
      // Σ (100 + i) for i < 250 = 25,000 + 31,125 = 56,125
      expect(expected).toBe(56_125);
      expect(await usageOf(workspace)).toBe(String(expected));
    },
  );

  it('delivers everything buffered and in flight when the producer gets SIGTERM mid-flush', async () => {
    const count = 600;
    const script = fileURLToPath(new URL('./fixtures/sdk-producer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        COUNT: String(count),
        DELAY_MS: '150',
        STREAM: runtime.status.streamName,
        KINESIS_ENDPOINT: runtime.status.kinesisEndpoint,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const ready = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        const text = String(chunk);
        if (text.startsWith('READY')) resolve(text);
      });
      child.on('exit', (code) => reject(new Error(`producer exited early (${code}): ${stderr}`)));
    });
    // 600 recorded, 50 per request, one request at a time of 150 ms: most are still buffered.
    expect(JSON.parse(ready.slice('READY '.length))).toMatchObject({ recorded: count, sentEvents: 0 });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    child.kill('SIGTERM');
    // The hook drains (12 requests × 150 ms), then re-raises SIGTERM so the process ends as asked.
    expect(await exited).toBe('SIGTERM');
    expect(stderr).toBe('');
    await runtime.poller.drain({ timeoutMs: 60_000 });
    expect(await usageOf('shutdown')).toBe(String(count));
  }, 60_000);
});
