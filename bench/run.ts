/**
 * `npm run bench`: the same generated workload through Tollgate's consumer and through the
 * AWS-recommended pattern (Powertools batch + idempotency + one UpdateItem ADD per event), both
 * on one DynamoDB Local, in one run. Reports events/s, write units per event, consumer CPU per
 * event, and whether each counted exactly right. Then the invoicing section
 * (bench/invoice-bench.ts): an invoice run for `--invoice-tenants` tenants against a baseline.
 * Then the detector section (bench/detector-bench.ts): an hour of alert detector runs over
 * `--detector-tenants` tenants, with and without its settled-history cache.
 * `--only ingest`, `--only invoicing` or `--only detector` runs one of the parts alone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS } from '../functions/adapters/aws-clients.js';
import { DynamoDbConfigStore } from '../functions/adapters/dynamodb/dynamodb-config-store.js';
import { localMeteringDeps } from '../functions/composition/local.js';
import { createConsumer, toStreamRecords } from '../functions/ingest-consumer/consume-kinesis-event.js';
import { startDynamoDbLocal } from '../functions/local/emulators/dynamodb-local.js';
import { createTableInput } from '../functions/local/provision.js';
import { compileCatalog } from '../shared/catalog/compiled-catalog.js';
import { loadCatalogText } from '../shared/catalog/load-catalog.js';
import { quantityOf } from '../shared/decimal/quantity.js';
import { parseStoredQuantity } from '../shared/decimal/stored-quantity.js';
import { aggregateBatch } from '../shared/metering/aggregate-batch.js';
import { rollupIdOf, rollupPk } from '../shared/metering/counter-keys.js';
import { classifyEvents, decodeBatch } from '../shared/metering/prepare-batch.js';
import { CONSUMER_SOURCE, TABLE_IDS, TABLES, type TableId } from '../shared/tables/table-definitions.js';
import {
  BASELINE_COUNTER_TABLE,
  BASELINE_IDEMPOTENCY_TABLE,
  createBaselineConsumer,
} from './baseline-consumer.js';
import { meterCapacity } from './capacity-meter.js';
import { runDetectorBench } from './detector-bench.js';
import { runInvoiceBench } from './invoice-bench.js';
import { PRODUCER_ROUNDS, runProducerBench } from './sdk-bench.js';
import { generateWorkload, tenantIds, streamBatches as toStreamBatches, type Workload } from './workload.js';

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${flag}: expected a positive whole number, got "${text}"`);
  return n;
}

function wholeNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: expected a whole number ≥ 0, got "${text}"`);
  return n;
}

const PARTS = ['ingest', 'invoicing', 'detector'] as const;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      tenants: { type: 'string' },
      duplicates: { type: 'string' },
      'events-per-record': { type: 'string' },
      'records-per-batch': { type: 'string' },
      'envelope-events': { type: 'string' },
      'producer-events': { type: 'string' },
      'invoice-tenants': { type: 'string' },
      'detector-tenants': { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const duplicates = values.duplicates === undefined ? 0.2 : Number(values.duplicates);
  if (!(duplicates >= 0 && duplicates < 1))
    throw new Error(`--duplicates: expected a fraction in [0, 1), got "${values.duplicates}"`);
  const only = values.only;
  if (only !== undefined && !PARTS.some((part) => part === only))
    throw new Error(`--only: expected one of ${PARTS.join(', ')}, got "${only}"`);
  return {
    events: positiveInt('events', values.events, 20_000),
    tenants: positiveInt('tenants', values.tenants, 10),
    duplicateRate: duplicates,
    eventsPerRecord: positiveInt('events-per-record', values['events-per-record'], 10),
    envelopeEvents: positiveInt('envelope-events', values['envelope-events'], 100),
    producerEvents: positiveInt('producer-events', values['producer-events'], 5_000),
    recordsPerBatch: positiveInt('records-per-batch', values['records-per-batch'], CONSUMER_SOURCE.batchSize),
    invoiceTenants: wholeNumber('invoice-tenants', values['invoice-tenants'], 10_000),
    detectorTenants: wholeNumber('detector-tenants', values['detector-tenants'], 200),
    only: only as (typeof PARTS)[number] | undefined,
    out: values.out,
  };
}

interface RunResult {
  name: string;
  events: number;
  seconds: number;
  writeUnits: number;
  requests: number;
  cpuMicros: number;
  exact: boolean;
  detail: string;
}

const CONTEXT = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

async function timed(
  name: string,
  workload: Workload,
  client: DynamoDBClient,
  invoke: (e: KinesisStreamEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>,
) {
  const capacity = meterCapacity(client);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const batch of workload.batches) {
    let records = batch.Records;
    for (let attempt = 0; records.length > 0; attempt += 1) {
      if (attempt > 20) throw new Error(`${name}: batch did not succeed after 20 retries`);
      const response = await invoke({ Records: records });
      // Lambda resumes from the lowest failed sequence number; Powertools lists failures in
      // completion order, not stream order.
      const failed = response.batchItemFailures
        .map((f) => BigInt(f.itemIdentifier))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
      records =
        failed === undefined
          ? []
          : records.slice(records.findIndex((r) => BigInt(r.kinesis.sequenceNumber) === failed));
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuMicros: cpu.user + cpu.system, capacity };
}

function expectedInputTokens(workload: Workload): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const e of workload.unique)
    totals.set(e.subject, (totals.get(e.subject) ?? 0n) + BigInt(e.data.input_tokens as number));
  return totals;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const now = Date.now();
  console.error('starting DynamoDB Local…');
  const ddb = await startDynamoDbLocal();
  const clientFor = () =>
    new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 10,
    });
  try {
    if (options.only === 'invoicing') {
      await invoicingSection(options, ddb, '');
      return;
    }
    if (options.only === 'detector') {
      await detectorSection(options, ddb, '');
      return;
    }
    const setup = clientFor();
    const catalog = loadCatalogText(await readFile('config/catalog.yaml', 'utf8'), 'yaml');
    const results: RunResult[] = [];

    const tollgateRun = async (name: string, prefix: string, workload: Workload) => {
      const tables = Object.fromEntries(TABLE_IDS.map((id) => [id, `${prefix}-${id}`])) as Record<
        TableId,
        string
      >;
      for (const id of TABLE_IDS)
        await setup.send(new CreateTableCommand(createTableInput(TABLES[id], tables[id])));
      const config = new DynamoDbConfigStore(setup, tables.config);
      await config.publishCatalog(catalog);
      for (const tenant of tenantIds(options.tenants))
        await config.putTenant({ tenant, plan: 'pro', status: 'active' });
      const client = clientFor();
      const deps = localMeteringDeps({
        dynamodb: client,
        tables,
        dataDir: '.bench',
        envelopeDedup: true,
        print: () => {},
        configCacheMs: 600_000,
      });
      let counted = 0;
      let duplicates = 0;
      const consume = createConsumer(deps, {
        batchMetered: ({ stats }) => {
          counted += stats.counted;
          duplicates += stats.duplicates;
        },
      });
      const { seconds, cpuMicros, capacity } = await timed(name, workload, client, consume);
      const expected = expectedInputTokens(workload);
      const rollup = rollupIdOf(compileCatalog(catalog).meter('input_tokens')!);
      let exact = counted === workload.unique.length;
      for (const [tenant, tokens] of expected) {
        let total = 0n;
        let key: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
        do {
          const page = await setup.send(
            new QueryCommand({
              TableName: tables.usage,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: rollupPk(tenant, rollup) } },
              ExclusiveStartKey: key,
            }),
          );
          for (const item of page.Items ?? []) total += parseStoredQuantity(item.m_input_tokens?.N ?? '0');
          key = page.LastEvaluatedKey;
        } while (key);
        if (total !== quantityOf(tokens)) exact = false;
      }
      const result: RunResult = {
        name,
        events: workload.totalEvents,
        seconds,
        writeUnits: capacity.writeUnits,
        requests: capacity.requests,
        cpuMicros,
        exact,
        detail: `counted ${counted} of ${workload.unique.length} distinct, ${duplicates} duplicates acknowledged`,
      };
      return result;
    };

    console.error('Tollgate, exact per-event dedup…');
    const exactWorkload = generateWorkload({ ...options, envelopes: false, gzip: false, seed: 1 }, now);
    results.push(await tollgateRun('Tollgate (exact dedup)', 'bench-exact', exactWorkload));

    console.error('baseline: Powertools batch + idempotency + UpdateItem ADD…');
    await setup.send(
      new CreateTableCommand({
        TableName: BASELINE_IDEMPOTENCY_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await setup.send(
      new CreateTableCommand({
        TableName: BASELINE_COUNTER_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const baselineClient = clientFor();
    const baseline = createBaselineConsumer(baselineClient);
    const b = await timed('baseline', exactWorkload, baselineClient, (e) => baseline(e, CONTEXT));
    const sums = new Map<string, bigint>();
    let key: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const page = await setup.send(
        new ScanCommand({ TableName: BASELINE_COUNTER_TABLE, ExclusiveStartKey: key }),
      );
      for (const item of page.Items ?? []) {
        const tenant = (item.pk?.S ?? '').split('#')[0]!;
        sums.set(tenant, (sums.get(tenant) ?? 0n) + BigInt(item.input_tokens?.N ?? '0'));
      }
      key = page.LastEvaluatedKey;
    } while (key);
    let completed = 0;
    const statuses = new Map<string, number>();
    key = undefined;
    do {
      const page: ScanCommandOutput = await setup.send(
        new ScanCommand({ TableName: BASELINE_IDEMPOTENCY_TABLE, ExclusiveStartKey: key }),
      );
      for (const item of page.Items ?? []) {
        const status = item.status?.S ?? 'none';
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 'COMPLETED') completed += 1;
      }
      key = page.LastEvaluatedKey;
    } while (key);
    const expected = expectedInputTokens(exactWorkload);
    const baselineExact = [...expected].every(([t, v]) => sums.get(t) === v) && sums.size === expected.size;
    const expectedTotal = [...expected.values()].reduce((a, v) => a + v, 0n);
    const baselineTotal = [...sums.values()].reduce((a, v) => a + v, 0n);
    results.push({
      name: 'Baseline (Powertools idempotency + ADD)',
      events: exactWorkload.totalEvents,
      seconds: b.seconds,
      writeUnits: b.capacity.writeUnits,
      requests: b.capacity.requests,
      cpuMicros: b.cpuMicros,
      exact: baselineExact,
      detail: `input tokens ${baselineTotal} counted, ${expectedTotal} expected; ${completed} of ${exactWorkload.unique.length} idempotency records COMPLETED (${[...statuses].map(([k, v]) => `${k} ${v}`).join(', ')})`,
    });

    console.error('Tollgate, envelope dedup…');
    results.push(
      await tollgateRun(
        'Tollgate (envelope dedup)',
        'bench-envelope',
        generateWorkload(
          { ...options, eventsPerRecord: options.envelopeEvents, envelopes: true, gzip: true, seed: 2 },
          now,
        ),
      ),
    );

    // The producer side: the distinct events through hand-written glue and through the SDK.
    console.error('producers: hand-written PutRecords vs the SDK on the Kinesis emulator…');
    const producerEvents = exactWorkload.unique.slice(0, options.producerEvents);
    const producers = await runProducerBench(producerEvents);
    const fedBy: RunResult[] = [];
    for (const [i, producer] of producers.entries()) {
      if (i === 1) continue; // packed without gzip: the same records as gzip for the consumer
      console.error(`consumer fed by: ${producer.name}…`);
      const { batches, bytes } = toStreamBatches(producer.captured, options.recordsPerBatch, now);
      fedBy.push(
        await tollgateRun(`fed by ${producer.name}`, `bench-fed-${i}`, {
          batches,
          bytes,
          unique: producerEvents,
          totalEvents: producerEvents.length,
        }),
      );
    }

    // CPU: a bare JSON.parse of the same bytes vs Tollgate's pure decode/validate/aggregate.
    const texts = exactWorkload.batches.flatMap((b) =>
      b.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8')),
    );
    const parseCpu = cpuPerEvent(() => {
      for (const t of texts) JSON.parse(t);
    }, exactWorkload.totalEvents);
    const compiled = compileCatalog(catalog);
    const profiles = new Map(
      tenantIds(options.tenants).map((tenant) => [
        tenant,
        { tenant, plan: 'pro', status: 'active' as const },
      ]),
    );
    const streamBatches = exactWorkload.batches.map(toStreamRecords);
    const domainCpu = cpuPerEvent(() => {
      for (const records of streamBatches) {
        const decoded = decodeBatch(records);
        const classified = classifyEvents(records, decoded.events, compiled, profiles, {
          envelopeDedup: false,
        });
        aggregateBatch(classified.countable);
      }
    }, exactWorkload.totalEvents);

    const base = results[1]!;
    const lines = [
      `Workload: ${options.events} LLM-completion events, ${Math.round(options.duplicateRate * 100)}% of them resent, ${options.tenants} tenants; batches of up to ${options.recordsPerBatch} records and 6 MB, one invocation at a time, DynamoDB Local in memory. Exact dedup and the baseline: JSON arrays of ${options.eventsPerRecord} events per record, resends as single events in new records. Envelope dedup: gzipped envelopes of ${options.envelopeEvents} events (as the SDK packs them), resends as whole envelopes.`,
      '',
      '| consumer | events/s | vs baseline | write units / event | requests / event | consumer CPU µs / event | exactly right |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...results.map((r) => {
        const rate = r.events / r.seconds;
        return `| ${r.name} | ${rate.toFixed(0)} | ${(rate / (base.events / base.seconds)).toFixed(2)}× | ${(r.writeUnits / r.events).toFixed(3)} | ${(r.requests / r.events).toFixed(3)} | ${(r.cpuMicros / r.events).toFixed(1)} | ${r.exact ? 'yes' : 'NO'} (${r.detail}) |`;
      }),
      '',
      '',
      `Producers: the first ${producerEvents.length} distinct events put on the Kinesis emulator (2 shards, one process) by hand-written glue and by the SDK's UsageClient (defaults: batches of 500 events, 4 requests in flight); the median of ${PRODUCER_ROUNDS} interleaved rounds.`,
      '',
      '| producer | events/s | vs glue | wire bytes / event | vs glue | records / event | PutRecords requests |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...producers.map((p) => {
        const glue = producers[0]!;
        const rate = p.events / p.seconds;
        const glueRate = glue.events / glue.seconds;
        return `| ${p.name} | ${rate.toFixed(0)} | ${(rate / glueRate).toFixed(2)}× | ${(p.wireBytes / p.events).toFixed(1)} | ${(p.wireBytes / glue.wireBytes).toFixed(3)}× | ${(p.records / p.events).toFixed(4)} | ${p.requests} |`;
      }),
      '',
      `The consumer fed by what each producer put on the stream (those ${producerEvents.length} events; envelope dedup on: the SDK's envelopes claim once per record, the rest per event):`,
      '',
      '| consumer input | events/s | write units / event | requests / event | exactly right |',
      '|---|---:|---:|---:|---|',
      ...fedBy.map(
        (r) =>
          `| ${r.name} | ${(r.events / r.seconds).toFixed(0)} | ${(r.writeUnits / r.events).toFixed(3)} | ${(r.requests / r.events).toFixed(3)} | ${r.exact ? 'yes' : 'NO'} |`,
      ),
      '',
      `CPU per event: bare JSON.parse of the same bytes ${parseCpu.toFixed(2)} µs; Tollgate's decode + validate + aggregate ${domainCpu.toFixed(2)} µs (${(domainCpu / parseCpu).toFixed(2)}× JSON.parse). The table's CPU column also counts the AWS SDK's request work.`,
    ];
    const report = lines.join('\n');
    console.log(report);
    if (options.out) await writeFile(options.out, `${report}\n`);
    if ([...results, ...fedBy].some((r) => !r.exact)) process.exitCode = 1;
    if (options.only !== 'ingest') {
      const before = await invoicingSection(options, ddb, `${report}\n\n`);
      await detectorSection(options, ddb, before);
    }
  } finally {
    await ddb.stop();
  }
}

/**
 * The invoicing section (skipped with `--invoice-tenants 0`), after what `--out` already holds;
 * returns what it holds now.
 */
async function invoicingSection(
  options: { invoiceTenants: number; out: string | undefined },
  ddb: { endpoint: string; pid: number },
  before: string,
): Promise<string> {
  if (options.invoiceTenants === 0) return before;
  const { report, ok } = await runInvoiceBench({
    tenants: options.invoiceTenants,
    endpoint: ddb.endpoint,
    emulatorPid: ddb.pid,
  });
  console.log(`\n${report}`);
  if (options.out) await writeFile(options.out, `${before}${report}\n`);
  if (!ok) process.exitCode = 1;
  return `${before}${report}\n\n`;
}

/** The detector section (skipped with `--detector-tenants 0`), after what `--out` already holds. */
async function detectorSection(
  options: { detectorTenants: number; out: string | undefined },
  ddb: { endpoint: string; pid: number },
  before: string,
) {
  if (options.detectorTenants === 0) return;
  const t0 = performance.now();
  const { report, ok } = await runDetectorBench({
    tenants: options.detectorTenants,
    endpoint: ddb.endpoint,
    emulatorPid: ddb.pid,
  });
  console.log(`\n${report}`);
  console.error(`detector section: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (options.out) await writeFile(options.out, `${before}${report}\n`);
  if (!ok) process.exitCode = 1;
}

function cpuPerEvent(work: () => void, events: number): number {
  work(); // warm up
  const rounds = 5;
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / rounds / events;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
