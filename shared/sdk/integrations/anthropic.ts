/**
 * Anthropic Messages → `LlmUsage`, whole and streamed.
 *
 * Token accounting (@anthropic-ai/sdk 1.10.0, the doc comment on `Message.usage`): "Total
 * input tokens in a request is the summation of `input_tokens`, `cache_creation_input_tokens`,
 * and `cache_read_input_tokens`", so the three are already disjoint and map one to one.
 * `output_tokens` is the billed total; `output_tokens_details.thinking_tokens` is the
 * reasoning part of it ("always ≤ output_tokens").
 *
 * Streaming: `message_start` carries the message (id, model) with its initial usage (input and
 * cache tokens, a placeholder output count); each `message_delta` carries CUMULATIVE counts,
 * so the last one wins. Newer API versions also put input and cache counts on
 * `message_delta` (`number | null`); when present they win over `message_start`'s.
 *
 * Structural input types only: the SDK does not depend on `@anthropic-ai/sdk`.
 */
import type { LlmUsage } from '../llm-usage.js';
import { MissingUsageError } from './missing-usage.js';
import { captureStreamUsage, type StreamUsageOptions, type StreamUsageReader } from './stream-usage.js';
import {
  llmUsage,
  type Reported,
  requireTokenCount,
  tokenCount,
  type UsageReadOptions,
} from './token-counts.js';

const ANTHROPIC = 'anthropic';

/** `Usage` of a `Message`, and `MessageDeltaUsage` of a `message_delta` event. */
export interface AnthropicUsageLike {
  readonly input_tokens?: Reported<number>;
  readonly output_tokens?: Reported<number>;
  readonly cache_creation_input_tokens?: Reported<number>;
  readonly cache_read_input_tokens?: Reported<number>;
  readonly output_tokens_details?: Reported<{ readonly thinking_tokens?: Reported<number> }>;
}

export interface AnthropicMessageLike {
  readonly id?: Reported<string>;
  readonly model: string;
  readonly usage?: Reported<AnthropicUsageLike>;
}

/** A `MessageStreamEvent` (`RawMessageStreamEvent`): `message_start` has `message`, `message_delta` has `usage`. */
export interface AnthropicStreamEventLike {
  readonly type: string;
  readonly message?: AnthropicMessageLike;
  readonly usage?: AnthropicUsageLike;
}

interface CallFacts {
  readonly provider: string;
  readonly model: string;
  readonly responseId?: Reported<string>;
  readonly latencyMs?: number | undefined;
}

/** Reads an Anthropic `usage` object; shared with the LangChain handler. */
export function anthropicUsage(usage: AnthropicUsageLike, call: CallFacts): LlmUsage {
  return llmUsage({
    ...call,
    inputTokens: requireTokenCount(usage.input_tokens, call.provider, 'usage.input_tokens'),
    outputTokens: requireTokenCount(usage.output_tokens, call.provider, 'usage.output_tokens'),
    cachedTokens: tokenCount(usage.cache_read_input_tokens),
    cacheWriteTokens: tokenCount(usage.cache_creation_input_tokens),
    reasoningTokens: tokenCount(usage.output_tokens_details?.thinking_tokens),
  });
}

/** The usage of one Messages response (`client.messages.create`, or `stream.finalMessage()`). */
export function fromAnthropicMessage(message: AnthropicMessageLike, opts: UsageReadOptions = {}): LlmUsage {
  const provider = opts.provider ?? ANTHROPIC;
  if (message.usage == null) {
    throw new MissingUsageError('missing_usage', provider, 'usage', `${provider}: message has no usage`);
  }
  return anthropicUsage(message.usage, {
    provider,
    model: message.model,
    responseId: message.id,
    latencyMs: opts.latencyMs,
  });
}

/** `delta`'s counts where it reports them, `start`'s otherwise. */
function mergeUsage(start: AnthropicUsageLike | undefined, delta: AnthropicUsageLike): AnthropicUsageLike {
  const pick = (key: keyof Omit<AnthropicUsageLike, 'output_tokens_details'>): Reported<number> =>
    tokenCount(delta[key]) ?? start?.[key];
  return {
    input_tokens: pick('input_tokens'),
    output_tokens: pick('output_tokens'),
    cache_creation_input_tokens: pick('cache_creation_input_tokens'),
    cache_read_input_tokens: pick('cache_read_input_tokens'),
    output_tokens_details: delta.output_tokens_details ?? start?.output_tokens_details,
  };
}

function streamReader(): StreamUsageReader<AnthropicStreamEventLike> {
  let message: AnthropicMessageLike | undefined;
  let delta: AnthropicUsageLike | undefined;
  return {
    read(event) {
      if (event.type === 'message_start' && event.message !== undefined) message = event.message;
      else if (event.type === 'message_delta' && event.usage !== undefined) delta = event.usage;
    },
    usage: (provider) =>
      message === undefined || delta === undefined
        ? undefined
        : anthropicUsage(mergeUsage(message.usage ?? undefined, delta), {
            provider,
            model: message.model,
            responseId: message.id,
          }),
    seen: () => ({
      ...(message === undefined ? {} : { model: message.model }),
      ...(typeof message?.id === 'string' ? { responseId: message.id } : {}),
    }),
    missingUsageHint: 'expected a message_start and a message_delta event; was the stream cut short?',
  };
}

/**
 * Passes a Messages stream (`client.messages.create({ stream: true })` or `client.messages.stream()`)
 * through unchanged and reports its usage once it is over (see stream-usage.ts for when).
 */
export function captureAnthropicStreamUsage<T extends AnthropicStreamEventLike>(
  stream: AsyncIterable<T>,
  options: StreamUsageOptions,
): AsyncGenerator<T, void, undefined> {
  return captureStreamUsage<T>(stream, streamReader(), ANTHROPIC, options);
}
