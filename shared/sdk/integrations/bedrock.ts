/**
 * Amazon Bedrock Converse → `LlmUsage`, whole (`ConverseCommand`) and streamed
 * (`ConverseStreamCommand`).
 *
 * Token accounting: the `TokenUsage` type (@aws-sdk/client-bedrock-runtime 3.1162.0) only says
 * "The number of tokens sent in the request to the model"; the Bedrock prompt-caching guide
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html, as quoted in
 * github.com/crmne/ruby_llm/pull/832) says that with caching `inputTokens` counts only the
 * non-cached input, and total input = inputTokens + cacheReadInputTokens + cacheWriteInputTokens.
 * So, as with Anthropic, the three map one to one, with nothing subtracted. (Third parties
 * report ConverseStream metadata for some OpenAI-family models counting cache writes inside
 * inputTokens, github.com/maximhq/bifrost/pull/6942; that contradicts the documentation and
 * is not corrected for here.) Converse reports no reasoning-token count.
 *
 * A Converse response names no model, so the caller passes the `modelId` it called. Bedrock's
 * own `metrics.latencyMs` is used unless the caller gives a latency. Structural types only:
 * the SDK does not depend on `@aws-sdk/client-bedrock-runtime`.
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

const BEDROCK = 'bedrock';

export interface BedrockTokenUsageLike {
  readonly inputTokens?: Reported<number>;
  readonly outputTokens?: Reported<number>;
  readonly cacheReadInputTokens?: Reported<number>;
  readonly cacheWriteInputTokens?: Reported<number>;
}

export interface BedrockMetricsLike {
  readonly latencyMs?: Reported<number>;
}

/** A `ConverseCommandOutput`. */
export interface BedrockConverseOutputLike {
  readonly usage?: Reported<BedrockTokenUsageLike>;
  readonly metrics?: Reported<BedrockMetricsLike>;
  /** The AWS request id becomes the response id. */
  readonly $metadata?: Reported<{ readonly requestId?: Reported<string> }>;
}

/** A `ConverseStreamOutput` event: the `metadata` one carries usage and metrics. */
export interface BedrockConverseStreamEventLike {
  readonly metadata?: Reported<{
    readonly usage?: Reported<BedrockTokenUsageLike>;
    readonly metrics?: Reported<BedrockMetricsLike>;
  }>;
}

export interface BedrockReadOptions extends UsageReadOptions {
  /** The `modelId` passed to Converse (a model id, inference profile or ARN). */
  readonly modelId: string;
}

export interface BedrockStreamUsageOptions extends StreamUsageOptions {
  /** The `modelId` passed to ConverseStream. */
  readonly modelId: string;
}

interface CallFacts {
  readonly provider: string;
  readonly model: string;
  readonly responseId?: Reported<string>;
  readonly latencyMs?: number | undefined;
}

function bedrockUsage(usage: BedrockTokenUsageLike, call: CallFacts): LlmUsage {
  return llmUsage({
    ...call,
    inputTokens: requireTokenCount(usage.inputTokens, call.provider, 'usage.inputTokens'),
    outputTokens: requireTokenCount(usage.outputTokens, call.provider, 'usage.outputTokens'),
    cachedTokens: tokenCount(usage.cacheReadInputTokens),
    cacheWriteTokens: tokenCount(usage.cacheWriteInputTokens),
  });
}

/** The usage of one `ConverseCommand` response. */
export function fromBedrockConverse(output: BedrockConverseOutputLike, opts: BedrockReadOptions): LlmUsage {
  const provider = opts.provider ?? BEDROCK;
  if (output.usage == null) {
    throw new MissingUsageError(
      'missing_usage',
      provider,
      'usage',
      `${provider}: Converse output has no usage`,
    );
  }
  return bedrockUsage(output.usage, {
    provider,
    model: opts.modelId,
    responseId: output.$metadata?.requestId,
    latencyMs: opts.latencyMs ?? tokenCount(output.metrics?.latencyMs),
  });
}

function streamReader(modelId: string): StreamUsageReader<BedrockConverseStreamEventLike> {
  let metadata: BedrockConverseStreamEventLike['metadata'];
  return {
    read(event) {
      if (event.metadata?.usage != null) metadata = event.metadata;
    },
    usage: (provider) =>
      metadata?.usage == null
        ? undefined
        : bedrockUsage(metadata.usage, {
            provider,
            model: modelId,
            latencyMs: tokenCount(metadata.metrics?.latencyMs),
          }),
    seen: () => ({ model: modelId }),
    missingUsageHint: 'it arrives in the final metadata event; was the stream cut short?',
  };
}

/**
 * Passes a ConverseStream event stream (`response.stream`) through unchanged and reports the
 * usage of its `metadata` event once it is over (see stream-usage.ts for when). Latency is
 * Bedrock's `metrics.latencyMs` unless `startedAt` is given.
 */
export function captureBedrockConverseStreamUsage<T extends BedrockConverseStreamEventLike>(
  stream: AsyncIterable<T>,
  options: BedrockStreamUsageOptions,
): AsyncGenerator<T, void, undefined> {
  return captureStreamUsage<T>(stream, streamReader(options.modelId), BEDROCK, options);
}
