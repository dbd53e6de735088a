/**
 * The one error the integrations throw: a response or stream did not report the token counts
 * a usage event needs. Recording zero instead would under-bill a call that used tokens, so the
 * readers refuse, and say which field was missing and how to get it reported.
 */

/**
 * `missing_usage`: a response lacks its usage (or one of the totals in it);
 * `stream_ended_without_usage`: a stream ran to its end and never sent its usage.
 */
export type MissingUsageCode = 'missing_usage' | 'stream_ended_without_usage';

export class MissingUsageError extends Error {
  override readonly name = 'MissingUsageError';
  constructor(
    readonly code: MissingUsageCode,
    /** `openai`, `anthropic`, `bedrock`, `langchain`, … */
    readonly provider: string,
    /** The missing field as the provider names it (`usage.prompt_tokens`). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
