/**
 * Reading token counts out of provider responses. A count is a finite number ≥ 0; anything
 * else (null, missing, NaN, a string) counts as "not reported". A missing detail (cache
 * reads, reasoning) is simply absent from the usage; a missing total (input, output) throws
 * `MissingUsageError`, because a usage of zero for a call that used tokens under-bills silently.
 */
import type { LlmUsage } from '../llm-usage.js';
import { MissingUsageError } from './missing-usage.js';

/** A provider field that may be left out or set to null (OpenAI, Anthropic) or undefined (AWS). */
export type Reported<T> = T | null | undefined;

/** Options every non-streaming reader takes. */
export interface UsageReadOptions {
  /** Wall time of the call in milliseconds, if you measured it. */
  readonly latencyMs?: number;
  /** Overrides the provider name, for compatible APIs (`azure-openai`, `openrouter`, …). */
  readonly provider?: string;
}

export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function requireTokenCount(value: unknown, provider: string, field: string): number {
  const count = tokenCount(value);
  if (count !== undefined) return count;
  const got = value === undefined ? 'nothing' : JSON.stringify(value);
  throw new MissingUsageError(
    'missing_usage',
    provider,
    field,
    `${provider}: ${field} is not a token count (got ${got}); not recording a usage of zero`,
  );
}

/** `total − parts`, for providers whose prompt count includes cache reads and writes; never below zero. */
export function uncachedInput(total: number, ...parts: ReadonlyArray<number | undefined>): number {
  let rest = total;
  for (const part of parts) rest -= part ?? 0;
  return Math.max(0, rest);
}

/** What a reader found; `undefined` fields are left out of the `LlmUsage` (exactOptionalPropertyTypes). */
export interface UsageParts {
  readonly provider: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens?: number | undefined;
  readonly cacheWriteTokens?: number | undefined;
  readonly reasoningTokens?: number | undefined;
  readonly latencyMs?: number | undefined;
  readonly responseId?: Reported<string>;
}

export function llmUsage(parts: UsageParts): LlmUsage {
  return {
    provider: parts.provider,
    model: parts.model,
    inputTokens: parts.inputTokens,
    outputTokens: parts.outputTokens,
    ...(parts.cachedTokens === undefined ? {} : { cachedTokens: parts.cachedTokens }),
    ...(parts.cacheWriteTokens === undefined ? {} : { cacheWriteTokens: parts.cacheWriteTokens }),
    ...(parts.reasoningTokens === undefined ? {} : { reasoningTokens: parts.reasoningTokens }),
    ...(parts.latencyMs === undefined ? {} : { latencyMs: parts.latencyMs }),
    ...(typeof parts.responseId === 'string' && parts.responseId !== ''
      ? { responseId: parts.responseId }
      : {}),
  };
}
