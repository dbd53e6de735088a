/**
 * One model call's token usage, provider-neutral, and the one `llm.completion` event it becomes.
 * The integrations (shared/sdk/integrations) read each provider's response into `LlmUsage`;
 * `trackUsage` / `llmCompletionEvent` turn it into the event. Token kinds are disjoint so that
 * pricing never counts a token twice (ADR 0006):
 * - `input_tokens`: prompt tokens read at the full input price (neither cache reads nor writes);
 * - `cached_tokens`: prompt tokens read from the provider's cache;
 * - `cache_write_tokens`: prompt tokens written to the cache (Anthropic, Bedrock);
 * - `output_tokens`: all generated tokens, reasoning included;
 * - `reasoning_tokens`: the part of `output_tokens` spent on reasoning (informational, not added).
 */
import type { AttributionContext, UsageEventInput } from './usage-event-input.js';

export const LLM_COMPLETION_TYPE = 'llm.completion';

export interface LlmUsage {
  /** `openai`, `anthropic`, `bedrock`, `langchain`, … */
  readonly provider: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens?: number;
  /** Wall time of the call in milliseconds. */
  readonly latencyMs?: number;
  /** The provider's response id; used as the event id when `idFromResponse` is set, so a resend of the same response is a duplicate. */
  readonly responseId?: string;
}

export interface LlmEventOptions {
  readonly context?: AttributionContext;
  /** Event time (default: now). */
  readonly time?: string | Date | number;
  /** The event id (default: a new ULID). */
  readonly id?: string;
}

function nonNegativeInteger(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return Math.max(0, Math.round(value));
}

/** The `llm.completion` event for one call; validation happens when it is recorded. */
export function llmCompletionEvent(usage: LlmUsage, options: LlmEventOptions = {}): UsageEventInput {
  const data: Record<string, number | string> = {
    provider: usage.provider,
    model: usage.model,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cached_tokens: nonNegativeInteger(usage.cachedTokens) ?? 0,
  };
  const cacheWrite = nonNegativeInteger(usage.cacheWriteTokens);
  if (cacheWrite !== undefined && cacheWrite > 0) data.cache_write_tokens = cacheWrite;
  const reasoning = nonNegativeInteger(usage.reasoningTokens);
  if (reasoning !== undefined && reasoning > 0) data.reasoning_tokens = reasoning;
  const latency = nonNegativeInteger(usage.latencyMs);
  if (latency !== undefined) data.latency_ms = latency;
  return {
    type: LLM_COMPLETION_TYPE,
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.time === undefined ? {} : { time: options.time }),
    ...(options.context?.subject === undefined ? {} : { subject: options.context.subject }),
    data,
  };
}

/** Anything that takes usage: the `UsageClient`, or a test double. */
export interface UsageRecorder {
  /** Records one model call as an `llm.completion` event; returns the event id. */
  trackUsage(usage: LlmUsage, context?: AttributionContext): string;
}
