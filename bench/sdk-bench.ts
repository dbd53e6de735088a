/**
 * The producer side of `npm run bench`: the same LLM-completion events put on the Kinesis
 * emulator by hand-written PutRecords glue (one event per record, 500 records per request, the
 * usual first version) and by the SDK's `UsageClient` (packed arrays, gzip, envelopes). Reports
 * events/s, bytes on the wire and records per event, and captures exactly what went on the
 * stream so run.ts can feed it to the consumer and measure write units per event.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand, KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_CREDENTIALS } from '../functions/adapters/aws-clients.js';
import { KinesisPutTransport } from '../functions/adapters/kinesis/kinesis-put-transport.js';
import { startKinesisLocal } from '../functions/local/emulators/kinesis-local.js';
import type { RecordToWrite, RecordWriteOutcome } from '../shared/ingest/stream-writer.js';
import type { PutRecordsTransport } from '../shared/sdk/put-with-retry.js';
import { UsageClient, type UsageClientOptions } from '../shared/sdk/usage-client.js';
import type { BenchEvent } from './workload.js';

export interface ProducerResult {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly records: number;
  readonly requests: number;
  /** Record data plus partition keys, as PutRecords counts them. */
  readonly wireBytes: number;
  /** What went on the stream, in order, for the consumer run. */
  readonly captured: RecordToWrite[];
}

/** Forwards to Kinesis and keeps what Kinesis accepted. */
class CapturingTransport implements PutRecordsTransport {
  readonly captured: RecordToWrite[] = [];
  requests = 0;
  constructor(private readonly inner: PutRecordsTransport) {}
  async putRecords(records: readonly RecordToWrite[]): Promise<readonly RecordWriteOutcome[]> {
    this.requests += 1;
    const outcomes = await this.inner.putRecords(records);
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) this.captured.push(records[i] as RecordToWrite);
    });
    return outcomes;
  }
}

function wireBytes(records: readonly RecordToWrite[]): number {
  return records.reduce((sum, r) => sum + r.data.byteLength + Buffer.byteLength(r.partitionKey), 0);
}

/** Hand-written glue: one event per record, PutRecords of 500, failed records resent as-is. */
async function glue(transport: CapturingTransport, events: readonly BenchEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    let pending: RecordToWrite[] = events
      .slice(i, i + 500)
      .map((e) => ({ partitionKey: e.subject, data: Buffer.from(JSON.stringify(e)) }));
    while (pending.length > 0) {
      const outcomes = await transport.putRecords(pending);
      pending = pending.filter((_, j) => !outcomes[j]?.ok);
    }
  }
}

/** Runs per producer; the report takes the median, since one emulator run varies by ±50%. */
export const PRODUCER_ROUNDS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function runProducerBench(events: readonly BenchEvent[]): Promise<ProducerResult[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-bench-kinesis-'));
  const emulator = await startKinesisLocal({ dataDir, region: 'us-east-1' });
  const kinesis = new KinesisClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  try {
    const byName = new Map<string, ProducerResult[]>();
    let streams = 0;
    const run = async (name: string, send: (transport: CapturingTransport) => Promise<void>) => {
      streams += 1;
      const stream = `bench-${streams}`;
      await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
      await waitUntilStreamExists({ client: kinesis, maxWaitTime: 60 }, { StreamName: stream });
      const transport = new CapturingTransport(new KinesisPutTransport(kinesis, stream));
      const t0 = performance.now();
      await send(transport);
      const seconds = (performance.now() - t0) / 1000;
      const rounds = byName.get(name) ?? [];
      rounds.push({
        name,
        events: events.length,
        seconds,
        records: transport.captured.length,
        requests: transport.requests,
        wireBytes: wireBytes(transport.captured),
        captured: transport.captured,
      });
      byName.set(name, rounds);
    };
    const sdk = (options: Partial<UsageClientOptions>) => async (transport: CapturingTransport) => {
      const client = new UsageClient({ transport, drainOnExit: false, ...options });
      for (const event of events) await client.record(event);
      const stats = await client.close();
      if (stats.sentEvents !== events.length)
        throw new Error(`SDK sent ${stats.sentEvents} of ${events.length}`);
    };
    // Rounds interleaved, so that drift in the emulator hits every producer alike.
    for (let round = 0; round < PRODUCER_ROUNDS; round += 1) {
      await run('hand-written PutRecords (1 event/record)', (t) => glue(t, events));
      await run('SDK, packed, no gzip', sdk({ gzipMinBytes: false }));
      await run('SDK, packed + gzip (default)', sdk({}));
      await run('SDK, packed + gzip + envelopes', sdk({ envelopes: true }));
    }
    return [...byName.values()].map((rounds) => {
      const seconds = median(rounds.map((r) => r.seconds));
      return { ...(rounds.find((r) => r.seconds === seconds) as ProducerResult) };
    });
  } finally {
    kinesis.destroy();
    await emulator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
