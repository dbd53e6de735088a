import type { Message } from '@anthropic-ai/sdk/resources/messages';
import type { ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import {
  fromAnthropicMessage,
  fromBedrockConverse,
  fromOpenAIChatCompletion,
} from '../../../../shared/sdk/integrations/index.js';
import { type LlmUsage, llmCompletionEvent } from '../../../../shared/sdk/llm-usage.js';
import { type AttributionContext, prepareEvent } from '../../../../shared/sdk/usage-event-input.js';

const context: AttributionContext = {
  subject: 'acme',
  workspace: 'ws-main',
  project: 'helpdesk',
  agent: 'triage',
};
const TIME = '2026-11-29T21:04:05.123Z';
const NOW = Date.parse(TIME) + 1000;

const completion = {
  id: 'chatcmpl-abc123',
  object: 'chat.completion',
  created: 1_764_450_245,
  model: 'gpt-4o-2024-08-06',
  choices: [],
  usage: {
    prompt_tokens: 1200,
    completion_tokens: 350,
    total_tokens: 1550,
    prompt_tokens_details: { cached_tokens: 200 },
    completion_tokens_details: { reasoning_tokens: 64 },
  },
} satisfies ChatCompletion;

const message = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [],
  container: null,
  diagnostics: null,
  stop_details: null,
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 21,
    output_tokens: 393,
    cache_creation_input_tokens: 4096,
    cache_read_input_tokens: 0,
    cache_creation: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    speed: null,
  },
} satisfies Message;

const converse = {
  $metadata: { requestId: 'req-1' },
  output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 25, outputTokens: 410, cacheReadInputTokens: 1800, totalTokens: 2235 },
  metrics: { latencyMs: 733 },
} satisfies ConverseCommandOutput;

const workDimensions = { workspace: 'ws-main', project: 'helpdesk', agent: 'triage' };

describe('an integration usage as an llm.completion event', () => {
  it.each<[string, LlmUsage, Record<string, number | string>]>([
    [
      'OpenAI',
      fromOpenAIChatCompletion(completion, { latencyMs: 812 }),
      {
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        input_tokens: 1000, // 1200 prompt − 200 cached
        output_tokens: 350,
        cached_tokens: 200,
        reasoning_tokens: 64,
        latency_ms: 812,
      },
    ],
    [
      'Anthropic',
      fromAnthropicMessage(message),
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        input_tokens: 21,
        output_tokens: 393,
        cached_tokens: 0,
        cache_write_tokens: 4096,
      },
    ],
    [
      'Bedrock',
      fromBedrockConverse(converse, { modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' }),
      {
        provider: 'bedrock',
        model: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        input_tokens: 25,
        output_tokens: 410,
        cached_tokens: 1800,
        latency_ms: 733,
      },
    ],
  ])('passes prepareEvent for %s, with the attribution of the context', (_provider, usage, expected) => {
    const prepared = prepareEvent(llmCompletionEvent(usage, { time: TIME }), {
      context,
      now: () => NOW,
      newId: () => 'evt-1',
    });
    expect(prepared.event).toMatchObject({
      id: 'evt-1',
      type: 'llm.completion',
      subject: 'acme',
      time: TIME,
    });
    expect(prepared.event.data).toEqual({ ...expected, ...workDimensions });
    expect(JSON.parse(prepared.json)).toMatchObject({
      subject: 'acme',
      data: { ...expected, ...workDimensions },
    });
  });
});
