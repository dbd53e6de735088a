/**
 * The AI-provider integrations of the producer SDK: each reads one provider's response (or
 * stream) into the provider-neutral `LlmUsage` that `trackUsage` records. Provider packages
 * are never imported at runtime; every input type is structural. See README.md.
 */
export {
  type AnthropicMessageLike,
  type AnthropicStreamEventLike,
  type AnthropicUsageLike,
  captureAnthropicStreamUsage,
  fromAnthropicMessage,
} from './anthropic.js';
export {
  type BedrockConverseOutputLike,
  type BedrockConverseStreamEventLike,
  type BedrockMetricsLike,
  type BedrockReadOptions,
  type BedrockStreamUsageOptions,
  type BedrockTokenUsageLike,
  captureBedrockConverseStreamUsage,
  fromBedrockConverse,
} from './bedrock.js';
export {
  type LangChainResultLike,
  type LangChainSerializedLike,
  type TollgateCallbackHandler,
  type TollgateCallbackHandlerOptions,
  tollgateCallbackHandler,
} from './langchain.js';
export { type MissingUsageCode, MissingUsageError } from './missing-usage.js';
export {
  captureOpenAIChatStreamUsage,
  captureOpenAIResponseStreamUsage,
  fromOpenAIChatCompletion,
  fromOpenAIResponse,
  type OpenAIChatCompletionLike,
  type OpenAIChatUsageLike,
  type OpenAIResponseLike,
  type OpenAIResponseStreamEventLike,
  type OpenAIResponseUsageLike,
} from './openai.js';
export type { MissingStreamUsage, StreamUsageOptions } from './stream-usage.js';
export type { UsageReadOptions } from './token-counts.js';
