/**
 * Usage from a streamed model call. Providers send the token counts in one late chunk (the
 * last OpenAI chunk, Anthropic's `message_delta`, Bedrock's `metadata` event), so the wrapper
 * passes every chunk through unchanged, lets a provider reader pick the counts up, and reports
 * once when the stream is over:
 * - it ran to its end with usage: `onUsage(usage)`;
 * - it ran to its end without usage: `onMissingUsage` if given, else it throws
 *   `MissingUsageError` (`stream_ended_without_usage`) after the last chunk. Never a usage of zero;
 * - the consumer stopped early (`break`): `onUsage` if the usage had already arrived, else
 *   `onMissingUsage` (no throw: stopping is the caller's choice);
 * - the stream threw: the error propagates and nothing is reported.
 * Latency runs from the wrapper's creation (or `startedAt`) to the arrival of the last chunk.
 */
import type { LlmUsage } from '../llm-usage.js';
import { MissingUsageError } from './missing-usage.js';

export interface MissingStreamUsage {
  readonly provider: string;
  readonly reason: 'ended_without_usage' | 'stopped_early';
  /** Chunks seen. */
  readonly chunks: number;
  readonly model?: string;
  readonly responseId?: string;
}

export interface StreamUsageOptions {
  /** Called once, when the stream is over, with the call's usage. */
  readonly onUsage: (usage: LlmUsage) => void;
  /** Called instead of throwing when the stream ends without usage (and when the consumer stops before it). */
  readonly onMissingUsage?: (missing: MissingStreamUsage) => void;
  /** Epoch milliseconds at which the call started (default: when the wrapper is created). */
  readonly startedAt?: number;
  /** Overrides the provider name, for compatible APIs. */
  readonly provider?: string;
  /** Clock in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
}

/** A provider's reader: sees each chunk, knows the usage once the final count has arrived. */
export interface StreamUsageReader<T> {
  read(chunk: T): void;
  /** The usage once complete; `latencyMs` only if the provider measured it (Bedrock). */
  usage(provider: string): LlmUsage | undefined;
  /** What is known of the call, for `onMissingUsage`. */
  seen(): { readonly model?: string; readonly responseId?: string };
  /** How to get usage reported, for the error message. */
  readonly missingUsageHint: string;
}

export function captureStreamUsage<T>(
  stream: AsyncIterable<T>,
  reader: StreamUsageReader<T>,
  defaultProvider: string,
  options: StreamUsageOptions,
): AsyncGenerator<T, void, undefined> {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  const provider = options.provider ?? defaultProvider;
  let chunks = 0;
  let lastChunkAt: number | undefined;

  const usageWithLatency = (usage: LlmUsage): LlmUsage => {
    if (options.startedAt === undefined && usage.latencyMs !== undefined) return usage;
    return { ...usage, latencyMs: Math.max(0, (lastChunkAt ?? now()) - startedAt) };
  };
  const missing = (reason: MissingStreamUsage['reason']): MissingStreamUsage => ({
    provider,
    reason,
    chunks,
    ...reader.seen(),
  });

  return (async function* tracked() {
    let outcome: 'ended' | 'stopped' | 'failed' = 'stopped';
    try {
      for await (const chunk of stream) {
        lastChunkAt = now();
        chunks += 1;
        reader.read(chunk);
        yield chunk;
      }
      outcome = 'ended';
    } catch (error) {
      outcome = 'failed';
      throw error;
    } finally {
      if (outcome === 'stopped') {
        const usage = reader.usage(provider);
        if (usage !== undefined) options.onUsage(usageWithLatency(usage));
        else options.onMissingUsage?.(missing('stopped_early'));
      }
    }
    const usage = reader.usage(provider);
    if (usage !== undefined) {
      options.onUsage(usageWithLatency(usage));
    } else if (options.onMissingUsage !== undefined) {
      options.onMissingUsage(missing('ended_without_usage'));
    } else {
      throw new MissingUsageError(
        'stream_ended_without_usage',
        provider,
        'usage',
        `${provider}: the stream ended after ${chunks} chunks without reporting usage; ${reader.missingUsageHint}`,
      );
    }
  })();
}
