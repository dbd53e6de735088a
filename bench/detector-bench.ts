import { type AttributeValue, CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../functions/adapters/aws-clients.js';
import { DynamoDbConfigStore } from '../functions/adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbUsageReader } from '../functions/adapters/dynamodb/dynamodb-usage-reader.js';
import { alertingDeps } from '../functions/composition/alerting-deps.js';
import { createTableInput } from '../functions/local/provision.js';
import type { AlertMessage } from '../shared/alerts/alert.js';
import { DEFAULT_DETECTOR_OPTIONS } from '../shared/alerts/detection/detector-options.js';
import { DEFAULT_INCIDENT_OPTIONS } from '../shared/alerts/incident.js';
import type { AlertPublisher } from '../shared/alerts/ports.js';
import {
  type DetectionDeps,
  type DetectionSummary,
  HISTORY_MS,
  runDetection,
} from '../shared/alerts/run-detection.js';
import type { Catalog } from '../shared/catalog/catalog.js';
import { compileCatalog } from '../shared/catalog/compiled-catalog.js';
import { parseCatalog } from '../shared/catalog/load-catalog.js';
import { formatQuantity, quantityOf } from '../shared/decimal/quantity.js';
import {
  groupKeyOf,
  rollupIdOf,
  rollupPk,
  rollupSk,
  valueAttribute,
} from '../shared/metering/counter-keys.js';
import { markAttribute, markOf } from '../shared/metering/marks.js';
import { TABLE_IDS, TABLES, type TableId } from '../shared/tables/table-definitions.js';
import { HOUR_MS, toIso } from '../shared/time/windows.js';
import { SettledHistoryCache } from '../shared/usage/settled-history-cache.js';
import { batchWrite, eachConcurrently, processCpuSeconds, random, scanAll } from './bench-support.js';
import { type CapacityTotals, meterCapacity } from './capacity-meter.js';

export interface DetectorBenchOptions {
  readonly tenants: number;
  /** DynamoDB Local. */
  readonly endpoint: string;
  /** Its process, for its CPU time (Linux /proc); optional. */
  readonly emulatorPid?: number;
}

/** The first run: 7 minutes past an hour, as a rate(5 minutes) schedule lands. */
const FIRST_RUN = Date.parse('2026-11-30T10:07:00.000Z');
const RUNS = 12;
const RUN_EVERY_MS = 5 * 60_000;
/** Hours of usage before the first run's hour: the four weeks the detector reads. */
const HISTORY_HOURS = HISTORY_MS / HOUR_MS;
const FIRST_HOUR = Math.floor(FIRST_RUN / HOUR_MS) * HOUR_MS - HISTORY_HOURS * HOUR_MS;
/** Seeded hours: the history, the first run's hour and the hour the last run falls in. */
const HOURS = HISTORY_HOURS + 1 + Math.floor(((FIRST_RUN % HOUR_MS) + (RUNS - 1) * RUN_EVERY_MS) / HOUR_MS);
/** The latest closed hour at the first run: the spiking tenants' usage is 6× there. */
const SPIKE_HOUR = HISTORY_HOURS - 1;
const SPIKE_FACTOR = 6;
/** Every 20th tenant spikes (tenant 0 always, so any tenant count opens alerts). */
const SPIKE_EVERY = 20;
const WARMUP_TENANTS = 20;
const MODELS = ['model-large', 'model-small'] as const;
const PLAN = 'metered';
const EVENT_TYPE = 'llm.completion';
/** On-demand, us-east-1, Standard table class: $0.125 per million read request units. */
const USD_PER_MILLION_RRU = 0.125;
/** rate(5 minutes) for a month: 12 runs an hour × 730 hours. */
const RUNS_PER_MONTH = 12 * 730;

/** One event type, two SUM meters grouped by model, one plan pricing both per model. */
export function detectorBenchCatalog(): Catalog {
  const meters = (['input', 'output'] as const).map((kind) => ({
    key: `${kind}_tokens`,
    name: `${kind === 'input' ? 'Input' : 'Output'} tokens`,
    unit: 'tokens',
    eventType: EVENT_TYPE,
    aggregation: 'SUM',
    valueProperty: `${kind}_tokens`,
    groupBy: ['model'],
  }));
  return parseCatalog({
    schemaVersion: 1,
    meters,
    plans: [
      {
        key: PLAN,
        name: 'Metered',
        billing: {
          currency: 'USD',
          prices: [
            {
              meter: 'input_tokens',
              type: 'rate_card',
              dimension: 'model',
              rates: { 'model-large': '0.000003', 'model-small': '0.0000005' },
              default: '0.000001',
            },
            {
              meter: 'output_tokens',
              type: 'rate_card',
              dimension: 'model',
              rates: { 'model-large': '0.000015', 'model-small': '0.000002' },
              default: '0.000005',
            },
          ],
        },
      },
    ],
  });
}

function benchTenants(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `det-${String(i).padStart(5, '0')}`);
}

/** A tenant's whole-hour usage per model and hour: a daily cycle, ±10% noise, maybe one spike. */
interface TenantUsage {
  readonly tenant: string;
  /** [model][hour index] */
  readonly input: number[][];
  readonly output: number[][];
}

function tenantUsage(tenant: string, index: number): TenantUsage {
  const next = random(index + 1);
  const phase = next() * 24;
  const spikes = index % SPIKE_EVERY === 0;
  const input: number[][] = [];
  const output: number[][] = [];
  for (const [m] of MODELS.entries()) {
    const base = (20_000 + next() * 180_000) * (m === 0 ? 0.4 : 1);
    const outputShare = 0.2 + next() * 0.2;
    const inputs: number[] = [];
    const outputs: number[] = [];
    for (let h = 0; h < HOURS; h += 1) {
      const hourOfDay = new Date(FIRST_HOUR + h * HOUR_MS).getUTCHours();
      const cycle = 1 + 0.5 * Math.sin((2 * Math.PI * (hourOfDay + phase)) / 24);
      const spike = spikes && h === SPIKE_HOUR ? SPIKE_FACTOR : 1;
      inputs.push(Math.round(base * cycle * (0.9 + 0.2 * next()) * spike));
      outputs.push(Math.round(base * outputShare * cycle * (0.9 + 0.2 * next()) * spike));
    }
    input.push(inputs);
    output.push(outputs);
  }
  return { tenant, input, output };
}

/** The rollup items of hour `h` (the share `fraction` of it so far), shaped as the consumer leaves them. */
function hourItems(
  usage: TenantUsage,
  rollupId: string,
  h: number,
  fraction: number,
): Record<string, AttributeValue>[] {
  const hour = toIso(FIRST_HOUR + h * HOUR_MS);
  return MODELS.map((model, m) => ({
    pk: { S: rollupPk(usage.tenant, rollupId) },
    sk: { S: rollupSk(hour, groupKeyOf({ model })) },
    tenant: { S: usage.tenant },
    rollup: { S: rollupId },
    windowStart: { S: hour },
    group: { M: { model: { S: model } } },
    [markAttribute('shardId-000000000000', usage.tenant)]: { S: markOf(String(100_000 + h)) },
    [valueAttribute('input_tokens')]: {
      N: formatQuantity(quantityOf(Math.round((usage.input[m]?.[h] ?? 0) * fraction))),
    },
    [valueAttribute('output_tokens')]: {
      N: formatQuantity(quantityOf(Math.round((usage.output[m]?.[h] ?? 0) * fraction))),
    },
  }));
}

/** Counts messages (and keeps them, to compare the two variants'). */
class RecordingPublisher implements AlertPublisher {
  readonly messages: AlertMessage[] = [];
  async publish(message: AlertMessage): Promise<void> {
    this.messages.push(message);
  }
}

interface Tally {
  seconds: number;
  nodeCpu: number;
  emulatorCpu: number | undefined;
  readUnits: number;
  requests: number;
  /** Read units of queries on the usage table. */
  usageReadUnits: number;
  /** Usage-table queries from the start of the four weeks (a full history read), and the others. */
  historyReads: number;
  recentReads: number;
  /** Reads DynamoDB Local billed 0 units (nothing found), and what AWS's minimum would make them. */
  emptyReads: number;
  emptyReadMinimum: number;
}

const emptyTally = (): Tally => ({
  seconds: 0,
  nodeCpu: 0,
  emulatorCpu: 0,
  readUnits: 0,
  requests: 0,
  usageReadUnits: 0,
  historyReads: 0,
  recentReads: 0,
  emptyReads: 0,
  emptyReadMinimum: 0,
});

function add(into: Tally, from: Tally): void {
  into.seconds += from.seconds;
  into.nodeCpu += from.nodeCpu;
  into.emulatorCpu =
    into.emulatorCpu === undefined || from.emulatorCpu === undefined
      ? undefined
      : into.emulatorCpu + from.emulatorCpu;
  into.readUnits += from.readUnits;
  into.requests += from.requests;
  into.usageReadUnits += from.usageReadUnits;
  into.historyReads += from.historyReads;
  into.recentReads += from.recentReads;
  into.emptyReads += from.emptyReads;
  into.emptyReadMinimum += from.emptyReadMinimum;
}

interface Variant {
  readonly name: string;
  readonly alertsTable: string;
  readonly deps: DetectionDeps;
  readonly publisher: RecordingPublisher;
  readonly client: DynamoDBClient;
  readonly summaries: DetectionSummary[];
  /** Requests and capacity units by command, over the measured runs. */
  readonly commands: Map<string, { requests: number; units: number }>;
  readonly first: Tally;
  readonly rest: Tally;
  readonly total: Tally;
  run(): Promise<void>;
}

export async function runDetectorBench(
  options: DetectorBenchOptions,
): Promise<{ report: string; ok: boolean }> {
  const clientOf = () =>
    new DynamoDBClient({
      endpoint: options.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 10,
    });
  const setup = clientOf();
  const variants: Variant[] = [];
  try {
    const tables = Object.fromEntries(TABLE_IDS.map((id) => [id, `bench-det-${id}`])) as Record<
      TableId,
      string
    >;
    const baselineAlerts = 'bench-det-baseline-alerts';
    const warmupAlerts = 'bench-det-warmup-alerts';
    for (const id of TABLE_IDS)
      await setup.send(new CreateTableCommand(createTableInput(TABLES[id], tables[id])));
    for (const name of [baselineAlerts, warmupAlerts])
      await setup.send(new CreateTableCommand(createTableInput(TABLES.alerts, name)));

    const catalog = detectorBenchCatalog();
    const rollupId = rollupIdOf(compileCatalog(catalog).meter('input_tokens')!);
    const tenants = benchTenants(options.tenants);
    const usage = tenants.map((tenant, i) => tenantUsage(tenant, i));
    const spiking = tenants.filter((_, i) => i % SPIKE_EVERY === 0).length;

    console.error(
      `detector: seeding ${tenants.length} tenants × ${HISTORY_HOURS + 1} hours × ${MODELS.length} models…`,
    );
    const seed0 = performance.now();
    const config = new DynamoDbConfigStore(setup, tables.config);
    await config.publishCatalog(catalog);
    await eachConcurrently(tenants, 32, async (tenant) => {
      await config.putTenant({ tenant, plan: PLAN, status: 'active' });
    });
    const firstRunHour = HISTORY_HOURS; // index of the first run's (partial) hour
    const firstFraction = (FIRST_RUN % HOUR_MS) / HOUR_MS;
    let seeded = 0;
    await eachConcurrently(usage, 8, async (u) => {
      const items: Record<string, AttributeValue>[] = [];
      for (let h = 0; h < firstRunHour; h += 1) items.push(...hourItems(u, rollupId, h, 1));
      items.push(...hourItems(u, rollupId, firstRunHour, firstFraction));
      seeded += items.length;
      await batchWrite(setup, tables.usage, items);
    });
    const seedSeconds = (performance.now() - seed0) / 1000;

    // The consumer's side between runs: the hour that closed gets its last events, the current
    // one the events so far. Written with the setup client: not part of either variant's figures.
    let writtenHour = firstRunHour;
    const advanceTo = async (now: number) => {
      const h = Math.floor((now - FIRST_HOUR) / HOUR_MS);
      const fraction = (now % HOUR_MS) / HOUR_MS;
      const items: Record<string, AttributeValue>[] = [];
      for (const u of usage) {
        for (let closed = writtenHour; closed < h; closed += 1)
          items.push(...hourItems(u, rollupId, closed, 1));
        items.push(...hourItems(u, rollupId, h, fraction));
      }
      writtenHour = h;
      const chunks = Array.from({ length: Math.ceil(items.length / 250) }, (_, i) =>
        items.slice(i * 250, i * 250 + 250),
      );
      await eachConcurrently(chunks, 8, (chunk) => batchWrite(setup, tables.usage, chunk));
    };

    let now = FIRST_RUN;
    const clock = () => now;
    // runDetection's `from`: a usage query from there reads the whole four weeks.
    const historyFrom = (at: number) => toIso(Math.floor(at / HOUR_MS) * HOUR_MS - HISTORY_MS);

    const variant = (name: string, alertsTable: string, plainReader: boolean): Variant => {
      const client = clientOf();
      const capacity: CapacityTotals = meterCapacity(client);
      const counts = {
        usageReadUnits: 0,
        historyReads: 0,
        recentReads: 0,
        emptyReads: 0,
        emptyReadMinimum: 0,
      };
      const commands = new Map<string, { requests: number; units: number }>();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          const input = args.input as {
            TableName?: string;
            ExpressionAttributeValues?: Record<string, AttributeValue>;
            ConsistentRead?: boolean;
          };
          const consumed = (
            result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
          ).ConsumedCapacity;
          const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
          const units = list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
          const command = (context.commandName ?? '?').replace(/Command$/, '');
          const entry = commands.get(command) ?? { requests: 0, units: 0 };
          commands.set(command, { requests: entry.requests + 1, units: entry.units + units });
          if (units === 0 && (command === 'Query' || command === 'GetItem' || command === 'Scan')) {
            counts.emptyReads += 1;
            counts.emptyReadMinimum += input.ConsistentRead === true ? 1 : 0.5;
          }
          if (command === 'Query' && input.TableName === tables.usage) {
            counts.usageReadUnits += units;
            if (input.ExpressionAttributeValues?.[':from']?.S === historyFrom(now)) counts.historyReads += 1;
            else counts.recentReads += 1;
          }
          return result;
        },
        // After the capacity meter (also `initialize`), so ReturnConsumedCapacity is set.
        { step: 'initialize', name: 'detectorBenchUsageReads', priority: 'low' },
      );
      const publisher = new RecordingPublisher();
      const built = alertingDeps({
        dynamodb: client,
        tables: {
          usage: tables.usage,
          config: tables.config,
          alerts: alertsTable,
          invoices: tables.invoices,
        },
        publisher,
        clock,
        detector: DEFAULT_DETECTOR_OPTIONS,
        minSpendPerHour: 1,
        incidents: DEFAULT_INCIDENT_OPTIONS,
      });
      const deps: DetectionDeps = plainReader
        ? { ...built, usage: new DynamoDbUsageReader(client, tables.usage) }
        : built;
      const summaries: DetectionSummary[] = [];
      const first = emptyTally();
      const rest = emptyTally();
      const total = emptyTally();
      return {
        name,
        alertsTable,
        deps,
        publisher,
        client,
        summaries,
        commands,
        first,
        rest,
        total,
        async run() {
          const before = { ...capacity, ...counts };
          const cpu0 = process.cpuUsage();
          const emulator0 = processCpuSeconds(options.emulatorPid);
          const t0 = performance.now();
          summaries.push(await runDetection(deps));
          const seconds = (performance.now() - t0) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const emulator1 = processCpuSeconds(options.emulatorPid);
          const tally: Tally = {
            seconds,
            nodeCpu: (cpu.user + cpu.system) / 1e6,
            emulatorCpu:
              emulator0 === undefined || emulator1 === undefined ? undefined : emulator1 - emulator0,
            readUnits: capacity.readUnits - before.readUnits,
            requests: capacity.requests - before.requests,
            usageReadUnits: counts.usageReadUnits - before.usageReadUnits,
            historyReads: counts.historyReads - before.historyReads,
            recentReads: counts.recentReads - before.recentReads,
            emptyReads: counts.emptyReads - before.emptyReads,
            emptyReadMinimum: counts.emptyReadMinimum - before.emptyReadMinimum,
          };
          add(summaries.length === 1 ? first : rest, tally);
          add(total, tally);
        },
      };
    };

    // Warm-up (not measured): the JITs of Node and DynamoDB Local, on a few tenants, on an
    // alerts table of its own, so neither variant pays for being first.
    console.error(`detector: warm-up on ${Math.min(WARMUP_TENANTS, tenants.length)} tenants…`);
    const warmup = variant('warm-up', warmupAlerts, true);
    const warmupProfiles = (await config.listTenantProfiles({ limit: WARMUP_TENANTS })).profiles;
    await runDetection({
      ...warmup.deps,
      tenants: { listTenantProfiles: async () => ({ profiles: warmupProfiles }) },
    });
    warmup.client.destroy();

    const tollgate = variant('Tollgate (SettledHistoryCache)', tables.alerts, false);
    const baseline = variant('Baseline (re-reads 4 weeks each run)', baselineAlerts, true);
    variants.push(tollgate, baseline);
    for (let i = 0; i < RUNS; i += 1) {
      now = FIRST_RUN + i * RUN_EVERY_MS;
      if (i > 0) await advanceTo(now);
      console.error(`detector: run ${i + 1} of ${RUNS} at ${toIso(now).slice(11, 16)}…`);
      // Alternate who goes first: the emulator's caches favour neither.
      for (const v of i % 2 === 0 ? [tollgate, baseline] : [baseline, tollgate]) await v.run();
    }

    // Checks: the cache must not change what the detector does.
    const problems: string[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const a = JSON.stringify(tollgate.summaries[i]);
      const b = JSON.stringify(baseline.summaries[i]);
      if (a !== b && problems.length < 10) problems.push(`run ${i + 1}: Tollgate ${a}, baseline ${b}`);
    }
    const messagesOf = (v: Variant) => v.publisher.messages.map((m) => JSON.stringify(m)).sort();
    const tollgateMessages = messagesOf(tollgate);
    const baselineMessages = messagesOf(baseline);
    if (tollgateMessages.join('\n') !== baselineMessages.join('\n'))
      problems.push(
        `published messages differ (Tollgate ${tollgateMessages.length}, baseline ${baselineMessages.length})`,
      );
    const alertsOf = async (table: string) =>
      (await scanAll(setup, table))
        .filter((item) => item.sk?.S === 'A')
        .map((item) => item.document?.S ?? '')
        .sort();
    const tollgateAlerts = await alertsOf(tollgate.alertsTable);
    const baselineAlertDocs = await alertsOf(baseline.alertsTable);
    if (tollgateAlerts.join('\n') !== baselineAlertDocs.join('\n'))
      problems.push(
        `stored alerts differ (Tollgate ${tollgateAlerts.length}, baseline ${baselineAlertDocs.length})`,
      );
    const sum = (v: Variant, key: 'opened' | 'updated' | 'resolved' | 'republished') =>
      v.summaries.reduce((n, s) => n + s[key], 0);
    if (sum(tollgate, 'opened') === 0 && sum(baseline, 'opened') === 0)
      problems.push(`no alert opened (${spiking} tenants were seeded with a ${SPIKE_FACTOR}× spike)`);
    const cacheRows =
      tollgate.deps.usage instanceof SettledHistoryCache ? tollgate.deps.usage.size : undefined;

    const report = formatReport({
      tenants: tenants.length,
      spiking,
      seededItems: seeded,
      seedSeconds,
      variants: [tollgate, baseline],
      opened: (v) => sum(v, 'opened'),
      detail: (v) =>
        `updated ${sum(v, 'updated')}, resolved ${sum(v, 'resolved')}, ${v.publisher.messages.length} messages published`,
      cacheRows,
      problems,
    });
    return { report, ok: problems.length === 0 };
  } finally {
    for (const v of variants) v.client.destroy();
    setup.destroy();
  }
}

const perTenantRun = (n: number, tenants: number, runs: number) => n / Math.max(1, tenants * runs);

/** Projected on-demand read cost per 1,000 tenants a month at rate(5 minutes), in USD. */
const monthlyReadCost = (rcuPerTenantRun: number) =>
  (rcuPerTenantRun * RUNS_PER_MONTH * 1000 * USD_PER_MILLION_RRU) / 1e6;

function formatReport(input: {
  tenants: number;
  spiking: number;
  seededItems: number;
  seedSeconds: number;
  variants: readonly [Variant, Variant];
  opened: (v: Variant) => number;
  detail: (v: Variant) => string;
  cacheRows: number | undefined;
  problems: readonly string[];
}): string {
  const { tenants } = input;
  const [tollgate, baseline] = input.variants;
  const rcu = (t: Tally, runs: number) => perTenantRun(t.readUnits, tenants, runs);
  const ratio = (a: number, b: number) => (b === 0 ? '∞' : `${(a / b).toFixed(2)}×`);
  const cpuOf = (t: Tally) =>
    `Node ${t.nodeCpu.toFixed(1)} s${t.emulatorCpu === undefined ? '' : `, DynamoDB Local ${t.emulatorCpu.toFixed(1)} s`}`;
  const openedEqual = input.opened(tollgate) === input.opened(baseline);
  const lines = [
    `Detector: one hour of a rate(5 minutes) schedule, ${RUNS} runs from ${toIso(FIRST_RUN).slice(0, 16)}Z, over ${tenants} tenants on one plan (input and output tokens of \`${EVENT_TYPE}\`, SUM grouped by model, priced per model), ${MODELS.length} models each: four weeks of hourly usage with a daily cycle and ±10% noise, ${input.spiking} tenants with a ${SPIKE_FACTOR}× spike in the hour before the first run; ${input.seededItems} hourly rollup items seeded straight into the usage table in ${input.seedSeconds.toFixed(1)} s, the current hour's items grown between runs. Tollgate: \`runDetection\` over \`alertingDeps\` (its usage reader the \`SettledHistoryCache\`); baseline: the same deps with a plain \`DynamoDbUsageReader\`, re-reading four weeks every run. Runs alternate which goes first, after an unmeasured warm-up; each has its own DynamoDB client and alerts table, AWS's default detector and incident options. Read units as DynamoDB Local reports them; cost at $${USD_PER_MILLION_RRU} per million read request units (on-demand, us-east-1) × ${RUNS_PER_MONTH} runs a month.`,
    '',
    '| detector | tenants × runs | wall s | s / tenant-run | RCU / tenant-run | requests / tenant-run | 4-week reads / tenant-run | alerts opened | reads $ / 1,000 tenants / month |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...[tollgate, baseline].map((v) => {
      const t = v.total;
      return `| ${v.name} | ${tenants} × ${RUNS} | ${t.seconds.toFixed(1)} | ${perTenantRun(t.seconds, tenants, RUNS).toFixed(4)} | ${rcu(t, RUNS).toFixed(2)} | ${perTenantRun(t.requests, tenants, RUNS).toFixed(2)} | ${perTenantRun(t.historyReads, tenants, RUNS).toFixed(2)} | ${input.opened(v)} | $${monthlyReadCost(rcu(t, RUNS)).toFixed(2)} |`;
    }),
    '',
    `ratio (baseline ÷ Tollgate): read units ${ratio(baseline.total.readUnits, tollgate.total.readUnits)}, seconds ${ratio(baseline.total.seconds, tollgate.total.seconds)}, requests ${ratio(baseline.total.requests, tollgate.total.requests)}`,
    '',
    ...[tollgate, baseline].map(
      (v) =>
        `- ${v.name}: first run ${v.first.seconds.toFixed(1)} s, ${rcu(v.first, 1).toFixed(2)} RCU / tenant; runs 2–${RUNS} ${(v.rest.seconds / (RUNS - 1)).toFixed(1)} s and ${rcu(v.rest, RUNS - 1).toFixed(2)} RCU / tenant each; of all RCU ${((100 * v.total.usageReadUnits) / Math.max(1e-9, v.total.readUnits)).toFixed(0)}% on the usage table (${v.total.historyReads} four-week and ${v.total.recentReads} recent-hours queries); CPU ${cpuOf(v.total)}; requests (capacity units) per tenant-run: ${[
          ...v.commands,
        ]
          .sort(([, a], [, b]) => b.requests - a.requests)
          .map(
            ([command, c]) =>
              `${command} ${perTenantRun(c.requests, tenants, RUNS).toFixed(2)} (${perTenantRun(c.units, tenants, RUNS).toFixed(2)} CU)`,
          )
          .join(', ')}; ${input.detail(v)}.`,
    ),
  ];
  const empty = (v: Variant) => perTenantRun(v.total.emptyReads, tenants, RUNS).toFixed(2);
  const minimum = (v: Variant) => perTenantRun(v.total.emptyReadMinimum, tenants, RUNS).toFixed(2);
  lines.push(
    `- DynamoDB Local bills a Query or GetItem that finds nothing 0 units: per tenant-run Tollgate made ${empty(tollgate)} and the baseline ${empty(baseline)} such reads (alert lists, credit grants of tenants with none). AWS bills a read at least ½ unit (1 when strongly consistent) whatever it finds; counted so they add ${minimum(tollgate)} and ${minimum(baseline)} RCU per tenant-run, and the read-unit ratio becomes ${ratio(baseline.total.readUnits + baseline.total.emptyReadMinimum, tollgate.total.readUnits + tollgate.total.emptyReadMinimum)}.`,
  );
  const tollgateHistory = perTenantRun(tollgate.total.historyReads, tenants, RUNS);
  if (tollgateHistory > 1.5 / RUNS)
    lines.push(
      `- Note: Tollgate re-read four weeks on ${tollgate.total.historyReads} of ${tenants * RUNS} tenant-runs (once per tenant an hour expected); its cache held ${input.cacheRows ?? '?'} rows at the end. The \`SettledHistoryCache\` keeps at most 300,000 rows (its default \`maxRows\`) and a tenant here needs ${(HISTORY_HOURS - 2) * MODELS.length} of them: beyond ~${Math.floor(300_000 / ((HISTORY_HOURS - 2) * MODELS.length))} tenants, the rest are read in full every run.`,
    );
  lines.push(
    input.problems.length === 0
      ? `- Checks: both variants opened, updated and resolved the same alerts in every run (${input.opened(tollgate)} opened), published the same ${tollgate.publisher.messages.length} messages and stored the same alert documents.`
      : `- Checks: MISMATCH: ${openedEqual ? '' : `alerts opened Tollgate ${input.opened(tollgate)} ≠ baseline ${input.opened(baseline)}; `}${input.problems.join('; ')}.`,
  );
  return lines.join('\n');
}
