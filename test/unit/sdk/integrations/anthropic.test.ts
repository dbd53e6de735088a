import type { Message, MessageStreamEvent, Usage } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import {
  captureAnthropicStreamUsage,
  fromAnthropicMessage,
  MissingUsageError,
} from '../../../../shared/sdk/integrations/index.js';
import { collector, drain, scriptedClock, streamOf } from './stream-fixtures.js';

function usage(fields: Partial<Usage> = {}): Usage {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation: null,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    speed: null,
    ...fields,
  } satisfies Usage;
}

function message(fields: Partial<Message> = {}): Message {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello!', citations: null }],
    container: null,
    diagnostics: null,
    stop_details: null,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: usage({ input_tokens: 12, output_tokens: 6 }),
    ...fields,
  } satisfies Message;
}

describe('fromAnthropicMessage', () => {
  it('reads a plain message: input and output tokens, model and id', () => {
    expect(fromAnthropicMessage(message())).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      inputTokens: 12,
      outputTokens: 6,
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    });
  });

  it('keeps input_tokens as is: Anthropic already excludes cache reads and writes from it', () => {
    const read = fromAnthropicMessage(
      message({ usage: usage({ input_tokens: 21, output_tokens: 393, cache_read_input_tokens: 188_086 }) }),
    );
    // total prompt 188 107 = 21 + 188 086 read + 0 written; nothing is subtracted
    expect([read.inputTokens, read.cachedTokens, read.cacheWriteTokens]).toEqual([21, 188_086, undefined]);

    const written = fromAnthropicMessage(
      message({
        usage: usage({
          input_tokens: 21,
          output_tokens: 393,
          cache_creation_input_tokens: 188_086,
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 188_086, ephemeral_1h_input_tokens: 0 },
        }),
      }),
    );
    expect([written.inputTokens, written.cachedTokens, written.cacheWriteTokens]).toEqual([21, 0, 188_086]);
  });

  it('reports thinking tokens as the reasoning part of the output tokens', () => {
    const result = fromAnthropicMessage(
      message({
        usage: usage({
          input_tokens: 50,
          output_tokens: 1500,
          output_tokens_details: { thinking_tokens: 1200 },
        }),
      }),
    );
    expect(result.outputTokens).toBe(1500); // 1200 thinking + 300 visible
    expect(result.reasoningTokens).toBe(1200);
  });

  it('carries the latency the caller measured', () => {
    expect(fromAnthropicMessage(message(), { latencyMs: 950 }).latencyMs).toBe(950);
  });

  it('throws rather than record zero when usage is null', () => {
    const broken = { id: 'msg_1', model: 'claude-haiku-4-5', usage: null };
    expect(() => fromAnthropicMessage(broken)).toThrow(MissingUsageError);
  });
});

describe('captureAnthropicStreamUsage', () => {
  const start = {
    type: 'message_start',
    message: message({
      content: [],
      stop_reason: null,
      usage: usage({
        input_tokens: 472,
        output_tokens: 2,
        cache_read_input_tokens: 2048,
        cache_creation_input_tokens: 256,
      }),
    }),
  } satisfies MessageStreamEvent;
  const text = {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'Hello' },
  } satisfies MessageStreamEvent;
  const delta = (fields: Partial<Extract<MessageStreamEvent, { type: 'message_delta' }>['usage']>) =>
    ({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null, container: null, stop_details: null },
      usage: {
        output_tokens: 0,
        input_tokens: null,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        output_tokens_details: null,
        server_tool_use: null,
        ...fields,
      },
    }) satisfies MessageStreamEvent;
  const stop = { type: 'message_stop' } satisfies MessageStreamEvent;

  it('combines message_start input and cache counts with the last cumulative message_delta output', async () => {
    const events: MessageStreamEvent[] = [
      start,
      text,
      delta({ output_tokens: 15 }),
      delta({ output_tokens: 42 }),
      stop,
    ];
    const calls = collector();
    // created at 0; events arrive at 300, 320, 900, 1000, 1010
    const now = scriptedClock(0, 300, 320, 900, 1000, 1010);
    const seen = await drain(captureAnthropicStreamUsage(streamOf(events), { onUsage: calls.onUsage, now }));
    expect(seen).toEqual(events);
    expect(calls.usages).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        inputTokens: 472,
        outputTokens: 42, // the last cumulative count, not 2 + 15 + 42
        cachedTokens: 2048,
        cacheWriteTokens: 256,
        latencyMs: 1010, // 1010 message_stop − 0
        responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      },
    ]);
  });

  it("prefers message_delta's input and cache counts when the API version reports them", async () => {
    const events: MessageStreamEvent[] = [
      start,
      delta({
        output_tokens: 42,
        input_tokens: 480,
        cache_read_input_tokens: 2048,
        cache_creation_input_tokens: 0,
        output_tokens_details: { thinking_tokens: 30 },
      }),
      stop,
    ];
    const calls = collector();
    await drain(captureAnthropicStreamUsage(streamOf(events), calls));
    const [recorded] = calls.usages;
    expect([recorded?.inputTokens, recorded?.cachedTokens, recorded?.cacheWriteTokens]).toEqual([
      480, 2048, 0,
    ]);
    expect(recorded?.reasoningTokens).toBe(30);
  });

  it('reports a stream cut before message_delta as missing usage', async () => {
    const calls = collector();
    await drain(captureAnthropicStreamUsage(streamOf([start, text]), calls));
    expect(calls.usages).toEqual([]);
    expect(calls.missing).toEqual([
      {
        provider: 'anthropic',
        reason: 'ended_without_usage',
        chunks: 2,
        model: 'claude-sonnet-4-5-20250929',
        responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      },
    ]);
  });

  it('throws at the end of a stream without usage when no onMissingUsage is given', async () => {
    const stream = captureAnthropicStreamUsage(streamOf([start, text]), { onUsage: () => {} });
    await expect(drain(stream)).rejects.toMatchObject({
      code: 'stream_ended_without_usage',
      provider: 'anthropic',
    });
  });

  it('records the usage when the consumer stops after message_delta but before message_stop', async () => {
    const calls = collector();
    const stream = captureAnthropicStreamUsage(streamOf([start, delta({ output_tokens: 7 }), stop]), calls);
    for await (const event of stream) if (event.type === 'message_delta') break;
    expect(calls.usages.map((u) => u.outputTokens)).toEqual([7]);
    expect(calls.missing).toEqual([]);
  });
});
