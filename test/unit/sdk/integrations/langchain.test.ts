import type { CallbackHandlerMethods } from '@langchain/core/callbacks/base';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage, type UsageMetadata } from '@langchain/core/messages';
import {
  type ChatGeneration,
  ChatGenerationChunk,
  type ChatResult,
  type LLMResult,
} from '@langchain/core/outputs';
import { describe, expect, it } from 'vitest';
import { MissingUsageError, tollgateCallbackHandler } from '../../../../shared/sdk/integrations/index.js';
import type { LlmUsage, UsageRecorder } from '../../../../shared/sdk/llm-usage.js';
import type { AttributionContext } from '../../../../shared/sdk/usage-event-input.js';
import { scriptedClock } from './stream-fixtures.js';

class RecordingRecorder implements UsageRecorder {
  readonly calls: Array<{ usage: LlmUsage; context: AttributionContext | undefined }> = [];
  trackUsage(usage: LlmUsage, context?: AttributionContext): string {
    this.calls.push({ usage, context });
    return `evt-${this.calls.length}`;
  }
  get usages(): LlmUsage[] {
    return this.calls.map((call) => call.usage);
  }
}

/** A real @langchain/core chat model whose reply carries the given usage, as partner models' replies do. */
class UsageReportingChatModel extends BaseChatModel {
  constructor(private readonly reply: () => AIMessage) {
    super({});
  }
  _llmType(): string {
    return 'usage-reporting-fake';
  }
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' };
  }
  async _generate(): Promise<ChatResult> {
    const message = this.reply();
    return { generations: [{ text: String(message.content), message }] };
  }
  override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
    const final = this.reply();
    yield new ChatGenerationChunk({ text: 'Hel', message: new AIMessageChunk({ content: 'Hel' }) });
    const last = new AIMessageChunk({ content: 'lo', response_metadata: final.response_metadata });
    yield new ChatGenerationChunk({
      text: 'lo',
      message: Object.assign(last, { usage_metadata: final.usage_metadata }),
    });
  }
}

const openAIUsage = {
  input_tokens: 1200, // LangChain's input_tokens include the cache reads
  output_tokens: 350,
  total_tokens: 1550,
  input_token_details: { cache_read: 1024 },
  output_token_details: { reasoning: 128 },
} satisfies UsageMetadata;

/**
 * An `AIMessage` carrying `usage_metadata`. It is attached after construction because under
 * `exactOptionalPropertyTypes` @langchain/core 1.4.0 types `AIMessageFields['usage_metadata']`
 * as `never` (its `$InferMessageProperty` resolves so); the runtime shape is the published one.
 */
function withUsage(message: AIMessage, usage: UsageMetadata | null): AIMessage {
  return usage === null ? message : Object.assign(message, { usage_metadata: usage });
}

function reply(usage: UsageMetadata | null = openAIUsage): AIMessage {
  const message = new AIMessage({
    content: 'Hello',
    id: 'chatcmpl-42',
    response_metadata: { model_name: 'gpt-4o-mini-2024-07-18', model_provider: 'openai' },
  });
  return withUsage(message, usage);
}

function chatResult(messages: readonly BaseMessage[], llmOutput?: LLMResult['llmOutput']): LLMResult {
  const generations: ChatGeneration[] = messages.map((message) => ({ text: '', message }));
  return {
    generations: [generations],
    ...(llmOutput === undefined ? {} : { llmOutput }),
  } satisfies LLMResult;
}

const context: AttributionContext = {
  subject: 'acme',
  workspace: 'ws-1',
  project: 'support',
  agent: 'triage',
};

describe('tollgateCallbackHandler with a real @langchain/core chat model', () => {
  it('is accepted where LangChain expects callback handler methods', () => {
    const handler = tollgateCallbackHandler(new RecordingRecorder()) satisfies CallbackHandlerMethods;
    expect(Object.keys(handler).sort()).toEqual([
      'awaitHandlers',
      'handleChatModelStart',
      'handleLLMEnd',
      'handleLLMError',
      'handleLLMStart',
      'name',
    ]);
  });

  it('records one usage per invoke, with the latency from start to end callback', async () => {
    const recorder = new RecordingRecorder();
    // handleChatModelStart at 10 000, handleLLMEnd at 10 750
    const handler = tollgateCallbackHandler(recorder, { context, now: scriptedClock(10_000, 10_750) });
    const model = new UsageReportingChatModel(() => reply());
    await model.invoke('Hi', { callbacks: [handler] });
    expect(recorder.calls).toEqual([
      {
        usage: {
          provider: 'openai',
          model: 'gpt-4o-mini-2024-07-18',
          inputTokens: 176, // 1200 input − 1024 cache reads
          outputTokens: 350,
          cachedTokens: 1024,
          reasoningTokens: 128,
          latencyMs: 750, // 10 750 − 10 000
          responseId: 'chatcmpl-42',
        },
        context,
      },
    ]);
  });

  it('records a streamed call once, although LangChain also reports it in llmOutput.tokenUsage', async () => {
    const recorder = new RecordingRecorder();
    const model = new UsageReportingChatModel(() => reply());
    const chunks: string[] = [];
    for await (const chunk of await model.stream('Hi', { callbacks: [tollgateCallbackHandler(recorder)] })) {
      chunks.push(String(chunk.content));
    }
    expect(chunks).toEqual(['Hel', 'lo']);
    expect(recorder.usages.map((u) => [u.inputTokens, u.outputTokens, u.cachedTokens])).toEqual([
      [176, 350, 1024],
    ]);
  });

  it("falls back to the model's ls_model_name when the reply names no model", async () => {
    const recorder = new RecordingRecorder();
    const bare = () => withUsage(new AIMessage('Hello'), openAIUsage);
    await new UsageReportingChatModel(bare).invoke('Hi', { callbacks: [tollgateCallbackHandler(recorder)] });
    expect(recorder.usages.map((u) => [u.provider, u.model])).toEqual([['openai', 'gpt-4o-mini']]);
  });
});

describe('tollgateCallbackHandler token accounting', () => {
  const serialized = {
    lc: 1,
    type: 'not_implemented',
    id: ['langchain', 'chat_models', 'anthropic'],
  } as const;

  it('takes cache reads and cache creation out of input_tokens, which include them', () => {
    const recorder = new RecordingRecorder();
    const handler = tollgateCallbackHandler(recorder, { provider: 'anthropic' });
    const usage = {
      input_tokens: 2350,
      output_tokens: 120,
      total_tokens: 2470,
      input_token_details: { cache_read: 2000, cache_creation: 300 },
    } satisfies UsageMetadata;
    handler.handleLLMEnd(chatResult([reply(usage)]), 'run-1');
    expect(recorder.usages).toEqual([
      {
        provider: 'anthropic',
        model: 'gpt-4o-mini-2024-07-18',
        inputTokens: 50, // 2350 − 2000 read − 300 created
        outputTokens: 120,
        cachedTokens: 2000,
        cacheWriteTokens: 300,
        responseId: 'chatcmpl-42',
      },
    ]);
  });

  it('takes input_tokens as exclusive when the cache details exceed it (older partner packages)', () => {
    const recorder = new RecordingRecorder();
    const usage = {
      input_tokens: 25,
      output_tokens: 410,
      total_tokens: 435,
      input_token_details: { cache_read: 1800 },
    } satisfies UsageMetadata;
    tollgateCallbackHandler(recorder).handleLLMEnd(chatResult([reply(usage)]), 'run-1');
    expect(recorder.usages[0]?.inputTokens).toBe(25); // 25 < 1800 cached, so 25 cannot include them
  });

  it('records one usage per generation that carries usage', () => {
    const recorder = new RecordingRecorder();
    const second = { input_tokens: 10, output_tokens: 4, total_tokens: 14 } satisfies UsageMetadata;
    tollgateCallbackHandler(recorder).handleLLMEnd(
      chatResult([reply(), reply(null), reply(second)]),
      'run-1',
    );
    expect(recorder.usages.map((u) => [u.inputTokens, u.outputTokens])).toEqual([
      [176, 350], // 1200 − 1024
      [10, 4],
    ]);
  });

  it('falls back to llmOutput.tokenUsage of a text LLM, with the model and provider known at start', () => {
    const recorder = new RecordingRecorder();
    const handler = tollgateCallbackHandler(recorder, { now: scriptedClock(0, 420) });
    handler.handleLLMStart(
      serialized,
      ['Say hi'],
      'run-7',
      undefined,
      { invocation_params: { model: 'gpt-3.5-turbo-instruct' } },
      [],
      { ls_provider: 'openai' },
    );
    const result = {
      generations: [[{ text: 'Hi' }]],
      llmOutput: { tokenUsage: { promptTokens: 30, completionTokens: 12, totalTokens: 42 } },
    } satisfies LLMResult;
    handler.handleLLMEnd(result, 'run-7');
    expect(recorder.usages).toEqual([
      {
        provider: 'openai',
        model: 'gpt-3.5-turbo-instruct',
        inputTokens: 30,
        outputTokens: 12,
        latencyMs: 420,
      },
    ]);
  });

  it('falls back to an Anthropic-style llmOutput.usage', () => {
    const recorder = new RecordingRecorder();
    const handler = tollgateCallbackHandler(recorder, { now: scriptedClock(100, 160) });
    handler.handleChatModelStart(serialized, [], 'run-8', undefined, {}, [], {
      ls_provider: 'amazon_bedrock',
    });
    const result = chatResult([new AIMessage('Hello')], {
      id: 'msg_9',
      model: 'claude-haiku-4-5',
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 0,
      },
    });
    handler.handleLLMEnd(result, 'run-8');
    expect(recorder.usages).toEqual([
      {
        provider: 'bedrock', // LangChain's amazon_bedrock, named as the direct integration names it
        model: 'claude-haiku-4-5',
        inputTokens: 10, // Anthropic counts exclude the 100 cache reads already
        outputTokens: 5,
        cachedTokens: 100,
        cacheWriteTokens: 0,
        latencyMs: 60, // 160 − 100
        responseId: 'msg_9',
      },
    ]);
  });

  it('does not record a response served from LangChain’s cache', () => {
    const recorder = new RecordingRecorder();
    tollgateCallbackHandler(recorder).handleLLMEnd(chatResult([reply()]), 'run-1', undefined, [], {
      cached: true,
    });
    expect(recorder.calls).toEqual([]);
  });

  it('throws rather than record zero when the run reported no usage at all', () => {
    const handler = tollgateCallbackHandler(new RecordingRecorder());
    expect(() => handler.handleLLMEnd(chatResult([new AIMessage('Hello')]), 'run-1')).toThrow(
      MissingUsageError,
    );
  });

  it('forgets a run that failed', () => {
    const recorder = new RecordingRecorder();
    const handler = tollgateCallbackHandler(recorder, { now: scriptedClock(0, 500) });
    handler.handleChatModelStart(serialized, [], 'run-9', undefined, {
      invocation_params: { model: 'gpt-4o' },
    });
    handler.handleLLMError(new Error('rate limited'), 'run-9');
    handler.handleLLMEnd(chatResult([withUsage(new AIMessage('x'), openAIUsage)]), 'run-9');
    // neither the start time nor the model of the failed run is used
    expect(recorder.usages.map((u) => [u.model, u.latencyMs])).toEqual([['unknown', undefined]]);
  });
});
