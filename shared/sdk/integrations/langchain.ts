/**
 * A LangChain.js callback handler that records each model call through a `UsageRecorder`.
 * It is a plain object with handler methods, which LangChain accepts in `callbacks: [...]`,
 * so the SDK needs no `@langchain/core` at runtime.
 *
 * Token accounting (@langchain/core 1.4.0, `UsageMetadata`): `input_tokens` is the "sum of all
 * input token types", i.e. it INCLUDES `input_token_details.cache_read` and `.cache_creation`;
 * they are subtracted to get the full-price input. `output_tokens` includes
 * `output_token_details.reasoning`. (If the cache details exceed `input_tokens`, the
 * integration reported an exclusive count, as @langchain/aws did before langchainjs#10841, and
 * it is taken as is.) Fallbacks when no message carries `usage_metadata`:
 * `llmOutput.tokenUsage` ({ promptTokens, completionTokens }: no cache breakdown, so cached
 * tokens count as full-price input), then `llmOutput.usage` in Anthropic or OpenAI form.
 *
 * One `trackUsage` per generation with usage; responses served from LangChain's cache
 * (`handleLLMEnd` with `{ cached: true }`) are not recorded, since no provider call was made.
 * Latency runs from the start callback to the end callback of the same `runId`.
 */
import type { LlmUsage, UsageRecorder } from '../llm-usage.js';
import type { AttributionContext } from '../usage-event-input.js';
import { anthropicUsage } from './anthropic.js';
import { MissingUsageError } from './missing-usage.js';
import { openAIChatUsage } from './openai.js';
import { llmUsage, requireTokenCount, tokenCount, uncachedInput } from './token-counts.js';

const LANGCHAIN = 'langchain';

export interface TollgateCallbackHandlerOptions {
  /** Attribution for every call (subject, workspace, project, agent, …). */
  readonly context?: AttributionContext;
  /** The provider name on the events; default: the model's `ls_provider`, else `langchain`. */
  readonly provider?: string;
  /** Clock in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
}

/** LangChain's `Serialized` model description (`llm` of the start callbacks). */
export interface LangChainSerializedLike {
  readonly id?: readonly string[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
}

/** LangChain's `LLMResult`; a chat generation also has a `message` (an `AIMessage`). */
export interface LangChainResultLike {
  readonly generations: ReadonlyArray<ReadonlyArray<{ readonly text?: string; readonly message?: unknown }>>;
  readonly llmOutput?: Readonly<Record<string, unknown>>;
}

/** The handler: pass it in `callbacks: [...]` of a model, a chain or an `invoke` call. */
export interface TollgateCallbackHandler {
  readonly name: string;
  /** LangChain awaits the handler, so the usage is recorded before `invoke` returns. */
  readonly awaitHandlers: boolean;
  handleChatModelStart(
    llm: LangChainSerializedLike,
    messages: unknown,
    runId: string,
    parentRunId?: string,
    extraParams?: Readonly<Record<string, unknown>>,
    tags?: readonly string[],
    metadata?: Readonly<Record<string, unknown>>,
  ): void;
  handleLLMStart(
    llm: LangChainSerializedLike,
    prompts: readonly string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Readonly<Record<string, unknown>>,
    tags?: readonly string[],
    metadata?: Readonly<Record<string, unknown>>,
  ): void;
  handleLLMEnd(
    output: LangChainResultLike,
    runId: string,
    parentRunId?: string,
    tags?: readonly string[],
    extraParams?: Readonly<Record<string, unknown>>,
  ): void;
  handleLLMError(error: unknown, runId: string): void;
}

interface RunStart {
  readonly startedAt: number;
  readonly model?: string;
  readonly provider?: string;
}

type Json = Readonly<Record<string, unknown>>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}

/** LangChain's provider names, where Tollgate's direct integrations use another. */
const PROVIDER_NAMES: Readonly<Record<string, string>> = { amazon_bedrock: 'bedrock' };

function providerName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : (PROVIDER_NAMES[name] ?? name);
}

function runStart(
  now: number,
  llm: LangChainSerializedLike | undefined,
  extraParams: Json | undefined,
  metadata: Json | undefined,
): RunStart {
  const invocation = record(extraParams?.invocation_params);
  const kwargs = record(llm?.kwargs);
  const model = firstString(
    invocation?.model,
    invocation?.model_name,
    invocation?.modelId,
    metadata?.ls_model_name,
    kwargs?.model,
    kwargs?.model_name,
  );
  const provider = providerName(firstString(metadata?.ls_provider));
  return {
    startedAt: now,
    ...(model === undefined ? {} : { model }),
    ...(provider === undefined ? {} : { provider }),
  };
}

interface CallFacts {
  readonly provider: string;
  readonly model: string;
  readonly responseId?: string | undefined;
  readonly latencyMs?: number | undefined;
}

/** `UsageMetadata` of an `AIMessage`. */
function fromUsageMetadata(usage: Json, call: CallFacts): LlmUsage {
  const input = requireTokenCount(usage.input_tokens, call.provider, 'usage_metadata.input_tokens');
  const output = requireTokenCount(usage.output_tokens, call.provider, 'usage_metadata.output_tokens');
  const inputDetails = record(usage.input_token_details);
  const cacheRead = tokenCount(inputDetails?.cache_read);
  const cacheCreation = tokenCount(inputDetails?.cache_creation);
  const inclusive = input >= (cacheRead ?? 0) + (cacheCreation ?? 0);
  return llmUsage({
    ...call,
    inputTokens: inclusive ? uncachedInput(input, cacheRead, cacheCreation) : input,
    outputTokens: output,
    cachedTokens: cacheRead,
    cacheWriteTokens: cacheCreation,
    reasoningTokens: tokenCount(record(usage.output_token_details)?.reasoning),
  });
}

/** `llmOutput` of the whole run, when no message reported usage. */
function fromLlmOutput(llmOutput: Json, call: CallFacts): LlmUsage | undefined {
  const tokenUsage = record(llmOutput.tokenUsage);
  if (tokenUsage !== undefined) {
    return llmUsage({
      ...call,
      inputTokens: requireTokenCount(
        tokenUsage.promptTokens,
        call.provider,
        'llmOutput.tokenUsage.promptTokens',
      ),
      outputTokens: requireTokenCount(
        tokenUsage.completionTokens,
        call.provider,
        'llmOutput.tokenUsage.completionTokens',
      ),
    });
  }
  const usage = record(llmOutput.usage);
  if (usage === undefined) return undefined;
  if ('prompt_tokens' in usage) return openAIChatUsage(usage, call);
  return anthropicUsage(usage, call);
}

/**
 * The usages of one finished run: one per generation whose message has `usage_metadata`,
 * else one from `llmOutput`. `provider` is the caller's or the model's `ls_provider`, if known.
 */
function usagesOf(
  output: LangChainResultLike,
  run: RunStart | undefined,
  provider: string | undefined,
  latencyMs: number | undefined,
): LlmUsage[] {
  const llmOutput = record(output.llmOutput);
  const usages: LlmUsage[] = [];
  for (const generation of output.generations.flat()) {
    const message = record(generation.message);
    const usage = record(message?.usage_metadata);
    if (message === undefined || usage === undefined) continue;
    const responseMetadata = record(message.response_metadata);
    usages.push(
      fromUsageMetadata(usage, {
        provider: provider ?? providerName(firstString(responseMetadata?.model_provider)) ?? LANGCHAIN,
        model:
          firstString(responseMetadata?.model_name, responseMetadata?.model, llmOutput?.model, run?.model) ??
          'unknown',
        responseId: firstString(message.id, responseMetadata?.id),
        latencyMs,
      }),
    );
  }
  if (usages.length > 0 || llmOutput === undefined) return usages;
  const fallback = fromLlmOutput(llmOutput, {
    provider: provider ?? LANGCHAIN,
    model: firstString(llmOutput.model, llmOutput.model_name, run?.model) ?? 'unknown',
    responseId: firstString(llmOutput.id),
    latencyMs,
  });
  return fallback === undefined ? [] : [fallback];
}

/**
 * A LangChain callback handler recording every model call's usage with `recorder.trackUsage`
 * (the `UsageClient`). Attach it once (on the model, or per call), not both: each attachment
 * records. A call whose result reports no usage at all throws `MissingUsageError` from
 * `handleLLMEnd`, which LangChain logs as a warning without failing the call.
 */
export function tollgateCallbackHandler(
  recorder: UsageRecorder,
  options: TollgateCallbackHandlerOptions = {},
): TollgateCallbackHandler {
  const now = options.now ?? Date.now;
  const runs = new Map<string, RunStart>();
  return {
    name: 'tollgate',
    awaitHandlers: true,
    handleChatModelStart(llm, _messages, runId, _parentRunId, extraParams, _tags, metadata) {
      runs.set(runId, runStart(now(), llm, extraParams, metadata));
    },
    handleLLMStart(llm, _prompts, runId, _parentRunId, extraParams, _tags, metadata) {
      runs.set(runId, runStart(now(), llm, extraParams, metadata));
    },
    handleLLMEnd(output, runId, _parentRunId, _tags, extraParams) {
      const run = runs.get(runId);
      runs.delete(runId);
      if (extraParams?.cached === true) return;
      const provider = options.provider ?? run?.provider;
      const latencyMs = run === undefined ? undefined : Math.max(0, now() - run.startedAt);
      const usages = usagesOf(output, run, provider, latencyMs);
      if (usages.length === 0) {
        throw new MissingUsageError(
          'missing_usage',
          provider ?? LANGCHAIN,
          'usage_metadata',
          `${provider ?? LANGCHAIN}: the model run ${runId} reported no token usage (no usage_metadata, llmOutput.tokenUsage or llmOutput.usage)`,
        );
      }
      for (const usage of usages) recorder.trackUsage(usage, options.context);
    },
    handleLLMError(_error, runId) {
      runs.delete(runId);
    },
  };
}
