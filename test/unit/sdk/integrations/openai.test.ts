import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Response, ResponseStreamEvent, ResponseUsage } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import {
  captureOpenAIChatStreamUsage,
  captureOpenAIResponseStreamUsage,
  fromOpenAIChatCompletion,
  fromOpenAIResponse,
  MissingUsageError,
  type OpenAIChatCompletionLike,
} from '../../../../shared/sdk/integrations/index.js';
import { collector, drain, scriptedClock, streamOf } from './stream-fixtures.js';

function chatCompletion(usage: ChatCompletion['usage']): ChatCompletion {
  return {
    id: 'chatcmpl-abc123',
    object: 'chat.completion',
    created: 1_764_450_245,
    model: 'gpt-4o-2024-08-06',
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content: 'Hello.', refusal: null },
      },
    ],
    ...(usage === undefined ? {} : { usage }),
  } satisfies ChatCompletion;
}

function chunk(fields: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk {
  return {
    id: 'chatcmpl-stream1',
    object: 'chat.completion.chunk',
    created: 1_764_450_245,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
    ...fields,
  } satisfies ChatCompletionChunk;
}

function response(fields: Partial<Response> = {}): Response {
  return {
    id: 'resp_123',
    object: 'response',
    created_at: 1_764_450_245,
    model: 'o4-mini-2025-04-16',
    output: [],
    output_text: '',
    access_programs: null,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: null,
    parallel_tool_calls: true,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    ...fields,
  } satisfies Response;
}

const responseUsage = {
  input_tokens: 2000,
  input_tokens_details: { cached_tokens: 1536, cache_write_tokens: 0 },
  output_tokens: 800,
  output_tokens_details: { reasoning_tokens: 640 },
  total_tokens: 2800,
} satisfies ResponseUsage;

describe('fromOpenAIChatCompletion', () => {
  it('reads a plain completion: prompt and completion tokens, model and id', () => {
    const completion = chatCompletion({ prompt_tokens: 1200, completion_tokens: 350, total_tokens: 1550 });
    expect(fromOpenAIChatCompletion(completion)).toEqual({
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      inputTokens: 1200,
      outputTokens: 350,
      responseId: 'chatcmpl-abc123',
    });
  });

  it('takes cached tokens out of the prompt tokens, which include them', () => {
    const completion = chatCompletion({
      prompt_tokens: 1200,
      completion_tokens: 350,
      total_tokens: 1550,
      prompt_tokens_details: { cached_tokens: 200, audio_tokens: 0 },
    });
    const usage = fromOpenAIChatCompletion(completion);
    expect(usage.inputTokens).toBe(1000); // 1200 prompt − 200 cached
    expect(usage.cachedTokens).toBe(200);
    expect(usage.cacheWriteTokens).toBeUndefined(); // not reported, not invented
  });

  it('takes cache writes out of the prompt tokens too (models that bill cache writes)', () => {
    const completion = chatCompletion({
      prompt_tokens: 9657,
      completion_tokens: 78,
      total_tokens: 9735,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 9654 },
    });
    const usage = fromOpenAIChatCompletion(completion);
    expect(usage.inputTokens).toBe(3); // 9657 prompt − 0 cached − 9654 written
    expect(usage.cacheWriteTokens).toBe(9654);
  });

  it('keeps reasoning tokens inside the output tokens and reports them apart', () => {
    const completion = chatCompletion({
      prompt_tokens: 80,
      completion_tokens: 1186,
      total_tokens: 1266,
      completion_tokens_details: { reasoning_tokens: 1024, accepted_prediction_tokens: 0 },
    });
    const usage = fromOpenAIChatCompletion(completion);
    expect(usage.outputTokens).toBe(1186); // all generated tokens, the 1024 reasoning ones included
    expect(usage.reasoningTokens).toBe(1024);
  });

  it('carries the latency and provider the caller gives', () => {
    const completion = chatCompletion({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    const usage = fromOpenAIChatCompletion(completion, { latencyMs: 812, provider: 'azure-openai' });
    expect(usage.latencyMs).toBe(812);
    expect(usage.provider).toBe('azure-openai');
  });

  it('throws rather than record zero when the completion has no usage', () => {
    expect(() => fromOpenAIChatCompletion(chatCompletion(undefined))).toThrow(MissingUsageError);
    try {
      fromOpenAIChatCompletion(chatCompletion(undefined));
    } catch (error) {
      expect(error).toMatchObject({ code: 'missing_usage', provider: 'openai', field: 'usage' });
    }
  });

  it('treats null details from compatible APIs as absent, and a null total as missing', () => {
    const compatible: OpenAIChatCompletionLike = {
      id: 'gen-1',
      model: 'llama-3.1-70b',
      usage: {
        prompt_tokens: 40,
        completion_tokens: 9,
        prompt_tokens_details: null,
        completion_tokens_details: null,
      },
    };
    expect(fromOpenAIChatCompletion(compatible)).toEqual({
      provider: 'openai',
      model: 'llama-3.1-70b',
      inputTokens: 40,
      outputTokens: 9,
      responseId: 'gen-1',
    });
    const noCompletionCount: OpenAIChatCompletionLike = {
      model: 'llama-3.1-70b',
      usage: { prompt_tokens: 40, completion_tokens: null },
    };
    expect(() => fromOpenAIChatCompletion(noCompletionCount)).toThrow(/usage\.completion_tokens/);
  });
});

describe('fromOpenAIResponse', () => {
  it('reads the Responses API usage, taking cached tokens out of the input tokens', () => {
    expect(fromOpenAIResponse(response({ usage: responseUsage }), { latencyMs: 2400 })).toEqual({
      provider: 'openai',
      model: 'o4-mini-2025-04-16',
      inputTokens: 464, // 2000 input − 1536 cached − 0 written
      outputTokens: 800, // reasoning included
      cachedTokens: 1536,
      cacheWriteTokens: 0,
      reasoningTokens: 640,
      latencyMs: 2400,
      responseId: 'resp_123',
    });
  });

  it('takes cache writes out of the input tokens', () => {
    const usage = fromOpenAIResponse(
      response({
        usage: {
          ...responseUsage,
          input_tokens: 9658,
          input_tokens_details: { cached_tokens: 0, cache_write_tokens: 9655 },
        },
      }),
    );
    expect(usage.inputTokens).toBe(3); // 9658 − 0 − 9655
    expect(usage.cacheWriteTokens).toBe(9655);
  });

  it('throws when the response has no usage', () => {
    expect(() => fromOpenAIResponse(response())).toThrow(MissingUsageError);
  });
});

describe('captureOpenAIChatStreamUsage', () => {
  const usageChunk = chunk({
    choices: [],
    usage: {
      prompt_tokens: 1200,
      completion_tokens: 42,
      total_tokens: 1242,
      prompt_tokens_details: { cached_tokens: 1024 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  });
  const chunks = [chunk({ usage: null }), chunk({ usage: null }), usageChunk];

  it('yields every chunk unchanged and reports the usage of the last one once', async () => {
    const calls = collector();
    // created at 1000; the three chunks arrive at 1100, 1250 and 1400
    const now = scriptedClock(1000, 1100, 1250, 1400);
    const seen = await drain(captureOpenAIChatStreamUsage(streamOf(chunks), { onUsage: calls.onUsage, now }));
    expect(seen).toHaveLength(3);
    seen.forEach((received, i) => {
      expect(received).toBe(chunks[i]);
    });
    expect(calls.usages).toEqual([
      {
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        inputTokens: 176, // 1200 prompt − 1024 cached
        outputTokens: 42,
        cachedTokens: 1024,
        reasoningTokens: 0,
        latencyMs: 400, // 1400 last chunk − 1000 wrapper start
        responseId: 'chatcmpl-stream1',
      },
    ]);
  });

  it('measures latency from startedAt when the caller gives it', async () => {
    const calls = collector();
    const now = scriptedClock(1100, 1250, 1400);
    await drain(
      captureOpenAIChatStreamUsage(streamOf(chunks), { onUsage: calls.onUsage, startedAt: 900, now }),
    );
    expect(calls.usages[0]?.latencyMs).toBe(500); // 1400 − 900
  });

  it('throws after the last chunk when the stream carried no usage (include_usage not set)', async () => {
    const calls = collector();
    const seen: ChatCompletionChunk[] = [];
    const stream = captureOpenAIChatStreamUsage(streamOf([chunk(), chunk()]), { onUsage: calls.onUsage });
    await expect(
      (async () => {
        for await (const received of stream) seen.push(received);
      })(),
    ).rejects.toMatchObject({ code: 'stream_ended_without_usage', message: /include_usage: true/ });
    expect(seen).toHaveLength(2);
    expect(calls.usages).toEqual([]);
  });

  it('calls onMissingUsage instead of throwing when given', async () => {
    const calls = collector();
    await drain(
      captureOpenAIChatStreamUsage(streamOf([chunk(), chunk()]), {
        onUsage: calls.onUsage,
        onMissingUsage: calls.onMissingUsage,
      }),
    );
    expect(calls.usages).toEqual([]);
    expect(calls.missing).toEqual([
      {
        provider: 'openai',
        reason: 'ended_without_usage',
        chunks: 2,
        model: 'gpt-4o-mini-2024-07-18',
        responseId: 'chatcmpl-stream1',
      },
    ]);
  });

  it('reports a consumer that stops before the usage chunk as stopped early, without throwing', async () => {
    const calls = collector();
    const stream = captureOpenAIChatStreamUsage(streamOf(chunks), {
      onUsage: calls.onUsage,
      onMissingUsage: calls.onMissingUsage,
    });
    for await (const _ of stream) break;
    expect(calls.usages).toEqual([]);
    expect(calls.missing.map((m) => [m.reason, m.chunks])).toEqual([['stopped_early', 1]]);
  });

  it('lets a failing stream throw its own error and reports nothing', async () => {
    const calls = collector();
    const stream = captureOpenAIChatStreamUsage(streamOf([chunk()], new Error('socket hang up')), {
      onUsage: calls.onUsage,
      onMissingUsage: calls.onMissingUsage,
    });
    await expect(drain(stream)).rejects.toThrow('socket hang up');
    expect(calls.usages).toEqual([]);
    expect(calls.missing).toEqual([]);
  });
});

describe('captureOpenAIResponseStreamUsage', () => {
  const created = {
    type: 'response.created',
    sequence_number: 0,
    response: response({ status: 'in_progress' }),
  } satisfies ResponseStreamEvent;
  const delta = {
    type: 'response.output_text.delta',
    sequence_number: 1,
    item_id: 'msg_1',
    output_index: 0,
    content_index: 0,
    delta: 'Hi',
    logprobs: [],
  } satisfies ResponseStreamEvent;

  it('reports the usage that response.completed carries', async () => {
    const completed = {
      type: 'response.completed',
      sequence_number: 2,
      response: response({ status: 'completed', usage: responseUsage }),
    } satisfies ResponseStreamEvent;
    const events: ResponseStreamEvent[] = [created, delta, completed];
    const calls = collector();
    const now = scriptedClock(5000, 5100, 5200, 7300);
    const seen = await drain(
      captureOpenAIResponseStreamUsage(streamOf(events), { onUsage: calls.onUsage, now }),
    );
    expect(seen).toEqual(events);
    expect(calls.usages).toEqual([
      {
        provider: 'openai',
        model: 'o4-mini-2025-04-16',
        inputTokens: 464, // 2000 − 1536 cached
        outputTokens: 800,
        cachedTokens: 1536,
        cacheWriteTokens: 0,
        reasoningTokens: 640,
        latencyMs: 2300, // 7300 − 5000
        responseId: 'resp_123',
      },
    ]);
  });

  it('reports the usage of an incomplete response (cut at max_output_tokens), which is billed', async () => {
    const incomplete = {
      type: 'response.incomplete',
      sequence_number: 2,
      response: response({
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        usage: { ...responseUsage, output_tokens: 256, output_tokens_details: { reasoning_tokens: 256 } },
      }),
    } satisfies ResponseStreamEvent;
    const calls = collector();
    await drain(captureOpenAIResponseStreamUsage(streamOf([created, delta, incomplete]), calls));
    expect(calls.usages.map((u) => [u.outputTokens, u.reasoningTokens])).toEqual([[256, 256]]);
  });

  it('reports a stream without a final response event as missing usage', async () => {
    const calls = collector();
    await drain(captureOpenAIResponseStreamUsage(streamOf([created, delta]), calls));
    expect(calls.usages).toEqual([]);
    expect(calls.missing).toEqual([
      {
        provider: 'openai',
        reason: 'ended_without_usage',
        chunks: 2,
        model: 'o4-mini-2025-04-16',
        responseId: 'resp_123',
      },
    ]);
  });
});
