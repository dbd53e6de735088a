import type { Node } from 'constructs';

/**
 * Deployment options, read once from CDK context (`cdk deploy -c tollgate:streamMode=PROVISIONED`
 * or the `context` block of cdk.json) and validated before any resource is built.
 */
export type StreamCapacityMode = 'ON_DEMAND' | 'PROVISIONED';
export type EnvelopeDedup = 'on' | 'off';
export type DataRemoval = 'retain' | 'destroy';

export interface TollgateConfig {
  readonly stackName: string;
  readonly streamMode: StreamCapacityMode;
  /** Set only for PROVISIONED streams. */
  readonly shardCount?: number;
  readonly alarmEmail?: string;
  readonly envelopeDedup: EnvelopeDedup;
  readonly removalPolicy: DataRemoval;
  /** EventBridge Scheduler expression (`cron(…)` or `rate(…)`, UTC) of the invoice planner run. */
  readonly invoiceSchedule: string;
  /** Hours after a period ends during which late usage still lands on its invoice (0–720). */
  readonly graceHours: number;
  /** Subscribed by email to the alerts topic (usage and spend anomalies, thresholds, pipeline health). */
  readonly alertEmail?: string;
  /** EventBridge Scheduler expression (`rate(…)` or `cron(…)`, UTC) of the alert detector run. */
  readonly detectorSchedule: string;
  /** Minutes a spike's rate must stay normal before its alert resolves (5–1440; ADR 0009). */
  readonly resolveAfterQuietMinutes: number;
}

export const CONTEXT_KEYS = {
  stackName: 'tollgate:stackName',
  streamMode: 'tollgate:streamMode',
  shardCount: 'tollgate:shardCount',
  alarmEmail: 'tollgate:alarmEmail',
  envelopeDedup: 'tollgate:envelopeDedup',
  removalPolicy: 'tollgate:removalPolicy',
  invoiceSchedule: 'tollgate:invoiceSchedule',
  graceHours: 'tollgate:graceHours',
  alertEmail: 'tollgate:alertEmail',
  detectorSchedule: 'tollgate:detectorSchedule',
  resolveAfterQuietMinutes: 'tollgate:resolveAfterQuietMinutes',
} as const;

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.values(CONTEXT_KEYS));
const DEFAULT_SHARD_COUNT = 2;
const MAX_SHARD_COUNT = 10_000;
/** Daily at 00:15 UTC: the planner drafts the running periods and finalizes those past grace. */
export const DEFAULT_INVOICE_SCHEDULE = 'cron(15 0 * * ? *)';
export const DEFAULT_GRACE_HOURS = 12;
/** Every 5 minutes: a 5x spike is flagged well within the hour it starts. */
export const DEFAULT_DETECTOR_SCHEDULE = 'rate(5 minutes)';
/** Half an hour of normal rate resolves a spike (six runs of the default schedule). */
export const DEFAULT_RESOLVE_AFTER_QUIET_MINUTES = 30;
/** 30 days: late usage beyond that belongs on a credit note, not a held-open invoice. */
const MAX_GRACE_HOURS = 720;

export class InvalidContextError extends Error {
  readonly code = 'invalid_context';

  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`Invalid CDK context ${key}: ${message}`);
    this.name = 'InvalidContextError';
  }
}

/** Reads and validates every `tollgate:*` context key; throws `InvalidContextError` naming the key. */
export function readTollgateConfig(node: Node): TollgateConfig {
  rejectUnknownKeys(node);
  const streamMode = readChoice(node, CONTEXT_KEYS.streamMode, ['ON_DEMAND', 'PROVISIONED'], 'ON_DEMAND');
  const shardCount = readShardCount(node, streamMode);
  const alarmEmail = readEmail(node, CONTEXT_KEYS.alarmEmail);
  const alertEmail = readEmail(node, CONTEXT_KEYS.alertEmail);
  return {
    stackName: readStackName(node, CONTEXT_KEYS.stackName),
    streamMode,
    ...(shardCount === undefined ? {} : { shardCount }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    envelopeDedup: readChoice(node, CONTEXT_KEYS.envelopeDedup, ['on', 'off'], 'on'),
    removalPolicy: readChoice(node, CONTEXT_KEYS.removalPolicy, ['retain', 'destroy'], 'retain'),
    invoiceSchedule: readScheduleExpression(node, CONTEXT_KEYS.invoiceSchedule, DEFAULT_INVOICE_SCHEDULE),
    graceHours: readInteger(node, CONTEXT_KEYS.graceHours, 0, MAX_GRACE_HOURS) ?? DEFAULT_GRACE_HOURS,
    ...(alertEmail === undefined ? {} : { alertEmail }),
    detectorSchedule: readScheduleExpression(node, CONTEXT_KEYS.detectorSchedule, DEFAULT_DETECTOR_SCHEDULE),
    resolveAfterQuietMinutes:
      readInteger(node, CONTEXT_KEYS.resolveAfterQuietMinutes, 5, 1440) ??
      DEFAULT_RESOLVE_AFTER_QUIET_MINUTES,
  };
}

/** A misspelt key (`tollgate:alarmEmial`) would otherwise be ignored silently. */
function rejectUnknownKeys(node: Node): void {
  const allContext = node.getAllContext() as Record<string, unknown>;
  for (const key of Object.keys(allContext)) {
    if (key.startsWith('tollgate:') && !KNOWN_KEYS.has(key)) {
      throw new InvalidContextError(key, `unknown key; expected one of ${[...KNOWN_KEYS].join(', ')}`);
    }
  }
}

function readString(node: Node, key: string): string | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') {
    throw new InvalidContextError(key, `expected a string, got ${JSON.stringify(raw)}`);
  }
  const value = raw.trim();
  return value === '' ? undefined : value;
}

function readChoice<T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T {
  const value = readString(node, key);
  if (value === undefined) return fallback;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) {
    throw new InvalidContextError(key, `"${value}" is not one of ${allowed.join(' | ')}`);
  }
  return match;
}

function readShardCount(node: Node, streamMode: StreamCapacityMode): number | undefined {
  const key = CONTEXT_KEYS.shardCount;
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') {
    return streamMode === 'PROVISIONED' ? DEFAULT_SHARD_COUNT : undefined;
  }
  if (streamMode !== 'PROVISIONED') {
    throw new InvalidContextError(
      key,
      `only applies when ${CONTEXT_KEYS.streamMode} is PROVISIONED (an ON_DEMAND stream scales its own shards)`,
    );
  }
  return toInteger(key, raw, 1, MAX_SHARD_COUNT);
}

function readInteger(node: Node, key: string, min: number, max: number): number | undefined {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  return toInteger(key, raw, min, max);
}

function toInteger(key: string, raw: unknown, min: number, max: number): number {
  // `-c key=value` always arrives as a string; cdk.json may hold a number.
  const value =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && raw.trim() !== ''
        ? Number(raw.trim())
        : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidContextError(
      key,
      `expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** EventBridge Scheduler recurring expressions; AWS validates the fields inside at deploy. */
const SCHEDULE_EXPRESSION = /^(cron|rate)\(.+\)$/;

function readScheduleExpression(node: Node, key: string, fallback: string): string {
  const value = readString(node, key) ?? fallback;
  if (!SCHEDULE_EXPRESSION.test(value)) {
    throw new InvalidContextError(
      key,
      `"${value}" is not a schedule expression: expected cron(…) or rate(…), e.g. "${fallback}" (UTC)`,
    );
  }
  return value;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function readEmail(node: Node, key: string): string | undefined {
  const value = readString(node, key);
  if (value !== undefined && !EMAIL.test(value)) {
    throw new InvalidContextError(key, `"${value}" is not an email address`);
  }
  return value;
}

/** CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

function readStackName(node: Node, key: string): string {
  const value = readString(node, key) ?? 'Tollgate';
  if (!STACK_NAME.test(value)) {
    throw new InvalidContextError(
      key,
      `"${value}" is not a valid stack name (a letter, then letters, digits or hyphens, at most 128)`,
    );
  }
  return value;
}
