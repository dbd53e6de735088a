/**
 * The README's examples against the real clients' types: type-checked by `tsc` (it is not a
 * test file and never runs), so a signature change that breaks an example breaks the build.
 * The clients are parameters; nothing here talks to a provider.
 */
import type Anthropic from '@anthropic-ai/sdk';
import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type Message as ConverseMessage,
  ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import {
  captureAnthropicStreamUsage,
  captureBedrockConverseStreamUsage,
  captureOpenAIChatStreamUsage,
  captureOpenAIResponseStreamUsage,
  fromAnthropicMessage,
  fromBedrockConverse,
  fromOpenAIChatCompletion,
  fromOpenAIResponse,
  tollgateCallbackHandler,
} from '../../../../shared/sdk/integrations/index.js';
import type { UsageRecorder } from '../../../../shared/sdk/llm-usage.js';

export async function openAIExamples(
  openai: OpenAI,
  client: UsageRecorder,
  messages: ChatCompletionMessageParam[],
) {
  const started = Date.now();
  const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages });
  client.trackUsage(fromOpenAIChatCompletion(completion, { latencyMs: Date.now() - started }));
  const response = await openai.responses.create({ model: 'o4-mini', input: 'Hi' });
  client.trackUsage(fromOpenAIResponse(response));

  const stream = await openai.chat.completions.create({
    model: 'gpt-4o',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of captureOpenAIChatStreamUsage(stream, { onUsage: (u) => client.trackUsage(u) })) {
    process.stdout.write(chunk.choices[0]?.delta.content ?? '');
  }
  const events = await openai.responses.create({ model: 'o4-mini', input: 'Hi', stream: true });
  for await (const event of captureOpenAIResponseStreamUsage(events, {
    onUsage: (u) => client.trackUsage(u),
  })) {
    if (event.type === 'response.output_text.delta') process.stdout.write(event.delta);
  }
}

export async function anthropicExamples(
  anthropic: Anthropic,
  client: UsageRecorder,
  messages: Anthropic.MessageParam[],
) {
  const started = Date.now();
  const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages });
  client.trackUsage(fromAnthropicMessage(message, { latencyMs: Date.now() - started }));
  const stream = await anthropic.messages.create({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    messages,
    stream: true,
  });
  for await (const event of captureAnthropicStreamUsage(stream, { onUsage: (u) => client.trackUsage(u) })) {
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
      process.stdout.write(event.delta.text);
  }
  const helper = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages });
  for await (const _ of captureAnthropicStreamUsage(helper, { onUsage: (u) => client.trackUsage(u) })) {
    // render
  }
  client.trackUsage(fromAnthropicMessage(await helper.finalMessage()));
}

export async function bedrockExamples(
  bedrock: BedrockRuntimeClient,
  client: UsageRecorder,
  messages: ConverseMessage[],
) {
  const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const output = await bedrock.send(new ConverseCommand({ modelId, messages }));
  client.trackUsage(fromBedrockConverse(output, { modelId }));
  const { stream } = await bedrock.send(new ConverseStreamCommand({ modelId, messages }));
  for await (const event of captureBedrockConverseStreamUsage(stream!, {
    modelId,
    onUsage: (u) => client.trackUsage(u),
  })) {
    if (event.contentBlockDelta?.delta?.text !== undefined)
      process.stdout.write(event.contentBlockDelta.delta.text);
  }
}

export async function langChainExamples(model: BaseChatModel, client: UsageRecorder) {
  const tollgate = tollgateCallbackHandler(client, { context: { subject: 'acme', agent: 'triage' } });
  await model.invoke('Hi', { callbacks: [tollgate] });
  for await (const chunk of await model.stream('Hi', { callbacks: [tollgate] }))
    process.stdout.write(chunk.text);
}
