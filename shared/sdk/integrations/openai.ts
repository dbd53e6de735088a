/**
 * OpenAI responses → `LlmUsage`: Chat Completions, the Responses API, and both as streams.
 *
 * Token accounting (openai 7.55.0 types, and the prompt-caching guide
 * https://developers.openai.com/api/docs/guides/prompt-caching): `prompt_tokens` /
 * `input_tokens` count the WHOLE prompt, including the cache reads
 * (`prompt_tokens_details.cached_tokens`) and, on models that bill cache writes, the cache
 * writes (`cache_write_tokens`, e.g. prompt_tokens 9657 with cache_write_tokens 9654 in the
 * example of github.com/dotnet/extensions/issues/7635). So the full-price input is
 * prompt − cached − cache writes. `completion_tokens` / `output_tokens` include the reasoning
 * tokens (`completion_tokens_details.reasoning_tokens`), which are informational.
 *
 * Only the fields read here are declared, as structural types: the SDK does not depend on
 * the `openai` package, and the tests prove the published types are accepted.
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
  uncachedInput,
} from './token-counts.js';

const OPENAI = 'openai';

/** `CompletionUsage` of Chat Completions, as far as it is read. */
export interface OpenAIChatUsageLike {
  readonly prompt_tokens?: Reported<number>;
  readonly completion_tokens?: Reported<number>;
  readonly prompt_tokens_details?: Reported<{
    readonly cached_tokens?: Reported<number>;
    readonly cache_write_tokens?: Reported<number>;
  }>;
  readonly completion_tokens_details?: Reported<{ readonly reasoning_tokens?: Reported<number> }>;
}

/** A `ChatCompletion` or a `ChatCompletionChunk`. */
export interface OpenAIChatCompletionLike {
  readonly id?: Reported<string>;
  readonly model: string;
  readonly usage?: Reported<OpenAIChatUsageLike>;
}

/** `ResponseUsage` of the Responses API. */
export interface OpenAIResponseUsageLike {
  readonly input_tokens?: Reported<number>;
  readonly output_tokens?: Reported<number>;
  readonly input_tokens_details?: Reported<{
    readonly cached_tokens?: Reported<number>;
    readonly cache_write_tokens?: Reported<number>;
  }>;
  readonly output_tokens_details?: Reported<{ readonly reasoning_tokens?: Reported<number> }>;
}

/** A Responses API `Response`. */
export interface OpenAIResponseLike {
  readonly id?: Reported<string>;
  readonly model: string;
  readonly usage?: Reported<OpenAIResponseUsageLike>;
}

/** A `ResponseStreamEvent`: the `response.completed` / `.incomplete` / `.failed` events carry the usage. */
export interface OpenAIResponseStreamEventLike {
  readonly type: string;
  readonly response?: OpenAIResponseLike;
}

interface CallFacts {
  readonly provider: string;
  readonly model: string;
  readonly responseId?: Reported<string>;
  readonly latencyMs?: number | undefined;
}

/** Reads a Chat Completions `usage` object; shared with the LangChain handler. */
export function openAIChatUsage(usage: OpenAIChatUsageLike, call: CallFacts): LlmUsage {
  const prompt = requireTokenCount(usage.prompt_tokens, call.provider, 'usage.prompt_tokens');
  const output = requireTokenCount(usage.completion_tokens, call.provider, 'usage.completion_tokens');
  const cached = tokenCount(usage.prompt_tokens_details?.cached_tokens);
  const cacheWrite = tokenCount(usage.prompt_tokens_details?.cache_write_tokens);
  return llmUsage({
    ...call,
    inputTokens: uncachedInput(prompt, cached, cacheWrite),
    outputTokens: output,
    cachedTokens: cached,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: tokenCount(usage.completion_tokens_details?.reasoning_tokens),
  });
}

function openAIResponseUsage(usage: OpenAIResponseUsageLike, call: CallFacts): LlmUsage {
  const input = requireTokenCount(usage.input_tokens, call.provider, 'usage.input_tokens');
  const output = requireTokenCount(usage.output_tokens, call.provider, 'usage.output_tokens');
  const cached = tokenCount(usage.input_tokens_details?.cached_tokens);
  const cacheWrite = tokenCount(usage.input_tokens_details?.cache_write_tokens);
  return llmUsage({
    ...call,
    inputTokens: uncachedInput(input, cached, cacheWrite),
    outputTokens: output,
    cachedTokens: cached,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: tokenCount(usage.output_tokens_details?.reasoning_tokens),
  });
}

function missingUsage(provider: string, what: string): MissingUsageError {
  return new MissingUsageError('missing_usage', provider, 'usage', `${provider}: ${what} has no usage`);
}

/** The usage of one Chat Completions response (`client.chat.completions.create`). */
export function fromOpenAIChatCompletion(
  completion: OpenAIChatCompletionLike,
  opts: UsageReadOptions = {},
): LlmUsage {
  const provider = opts.provider ?? OPENAI;
  if (completion.usage == null) throw missingUsage(provider, `chat completion ${completion.id ?? ''}`.trim());
  return openAIChatUsage(completion.usage, {
    provider,
    model: completion.model,
    responseId: completion.id,
    latencyMs: opts.latencyMs,
  });
}

/** The usage of one Responses API response (`client.responses.create`). */
export function fromOpenAIResponse(response: OpenAIResponseLike, opts: UsageReadOptions = {}): LlmUsage {
  const provider = opts.provider ?? OPENAI;
  if (response.usage == null) throw missingUsage(provider, `response ${response.id ?? ''}`.trim());
  return openAIResponseUsage(response.usage, {
    provider,
    model: response.model,
    responseId: response.id,
    latencyMs: opts.latencyMs,
  });
}

function chatStreamReader(): StreamUsageReader<OpenAIChatCompletionLike> {
  let last: OpenAIChatCompletionLike | undefined;
  let usage: OpenAIChatUsageLike | undefined;
  let model: string | undefined;
  return {
    read(chunk) {
      last = chunk;
      if (chunk.model !== '') model = chunk.model;
      if (chunk.usage != null) usage = chunk.usage;
    },
    usage: (provider) =>
      usage === undefined
        ? undefined
        : openAIChatUsage(usage, { provider, model: model ?? '', responseId: last?.id }),
    seen: () => ({
      ...(model === undefined ? {} : { model }),
      ...(typeof last?.id === 'string' ? { responseId: last.id } : {}),
    }),
    missingUsageHint: 'request it with stream_options: { include_usage: true }',
  };
}

/**
 * Passes a Chat Completions stream through unchanged and reports its usage once it is over
 * (see stream-usage.ts for when). Request the stream with `stream_options: { include_usage: true }`:
 * without it OpenAI sends no usage, and the wrapper throws at the end unless `onMissingUsage` is given.
 */
export function captureOpenAIChatStreamUsage<T extends OpenAIChatCompletionLike>(
  stream: AsyncIterable<T>,
  options: StreamUsageOptions,
): AsyncGenerator<T, void, undefined> {
  return captureStreamUsage<T>(stream, chatStreamReader(), OPENAI, options);
}

function responseStreamReader(): StreamUsageReader<OpenAIResponseStreamEventLike> {
  let response: OpenAIResponseLike | undefined;
  let finished: OpenAIResponseLike | undefined;
  return {
    read(event) {
      if (event.response === undefined) return;
      response = event.response;
      if (event.response.usage != null) finished = event.response;
    },
    usage: (provider) => (finished === undefined ? undefined : fromOpenAIResponse(finished, { provider })),
    seen: () => ({
      ...(response === undefined ? {} : { model: response.model }),
      ...(typeof response?.id === 'string' ? { responseId: response.id } : {}),
    }),
    missingUsageHint:
      'it arrives with response.completed (or .incomplete / .failed); was the stream cut short?',
  };
}

/**
 * Passes a Responses API stream (`client.responses.create({ stream: true })`) through unchanged
 * and reports the usage that `response.completed` (or `.incomplete` / `.failed`) carries.
 */
export function captureOpenAIResponseStreamUsage<T extends OpenAIResponseStreamEventLike>(
  stream: AsyncIterable<T>,
  options: StreamUsageOptions,
): AsyncGenerator<T, void, undefined> {
  return captureStreamUsage<T>(stream, responseStreamReader(), OPENAI, options);
}
