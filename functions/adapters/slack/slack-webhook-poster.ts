/**
 * Posts Block Kit payloads to a Slack incoming webhook. Network errors, timeouts, 429 (after its
 * `Retry-After`, capped) and 5xx are retried with exponential backoff and jitter, up to
 * `maxAttempts`; any other non-2xx answer is permanent. The webhook URL is a credential: it is
 * never logged nor put in an error, and errors from `fetch` are redacted before they are kept
 * as a cause.
 */
import type { SlackPayload } from '../../../shared/alerts/slack-message.js';

export type SlackFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface SlackWebhookPosterOptions {
  /** The webhook URL (one route of `RoutedSlackPoster`, which reads and checks the configuration). */
  readonly webhookUrl: string;
  readonly fetch?: SlackFetch;
  /** Attempts in all, the first included (default 4). */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Per attempt (default 5000). */
  readonly timeoutMs?: number;
  /** Backoff before the second attempt; doubled each time (default 500). */
  readonly baseDelayMs?: number;
  /** Cap of a backoff and of a `Retry-After` (default 30,000). */
  readonly maxDelayMs?: number;
  /** In [0, 1): the jitter source (default `Math.random`). */
  readonly random?: () => number;
}

/**
 * - `slack_rejected`: Slack answered 4xx other than 429 (a bad payload, a revoked or archived
 *   webhook); retrying cannot help.
 * - `slack_unavailable`: every attempt failed with a network error, a timeout, 429 or 5xx.
 * - `slack_not_configured`: the configuration is empty, `none`, or not valid (see
 *   `RoutedSlackPoster`), or a URL is not an http(s) URL.
 */
export type SlackDeliveryErrorCode = 'slack_rejected' | 'slack_unavailable' | 'slack_not_configured';

/** A post that did not reach the channel. Never holds the webhook URL. */
export class SlackDeliveryError extends Error {
  override readonly name = 'SlackDeliveryError';

  constructor(
    readonly code: SlackDeliveryErrorCode,
    message: string,
    readonly details: { readonly status?: number; readonly attempts: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

const REDACTED = '[slack webhook url]';

export class SlackWebhookPoster {
  private readonly webhookUrl: string;
  private readonly fetch: SlackFetch;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(options: SlackWebhookPosterOptions) {
    this.webhookUrl = options.webhookUrl;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 4));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  async post(payload: SlackPayload): Promise<void> {
    const url = this.webhookUrl.trim();
    if (!/^https?:$/.test(URL.canParse(url) ? new URL(url).protocol : '')) {
      throw new SlackDeliveryError('slack_not_configured', 'the Slack webhook URL is not an http(s) URL', {
        attempts: 0,
      });
    }
    const body = JSON.stringify(payload);
    let last: { reason: string; status?: number; cause?: unknown } = { reason: 'not attempted' };
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      let response: Response;
      try {
        response = await this.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        last = { reason: failureOf(error, this.timeoutMs), cause: redacted(error, url) };
        if (attempt < this.maxAttempts) await this.sleep(this.backoff(attempt));
        continue;
      }
      const answer = redact((await response.text().catch(() => '')).slice(0, 200), url).trim();
      if (response.ok) return;
      const status = response.status;
      if (status !== 429 && status < 500) {
        throw new SlackDeliveryError(
          'slack_rejected',
          `Slack rejected the message: HTTP ${status}${answer === '' ? '' : ` ${answer}`}`,
          { status, attempts: attempt },
        );
      }
      last = { reason: `HTTP ${status}${answer === '' ? '' : ` ${answer}`}`, status };
      if (attempt < this.maxAttempts) {
        const retryAfter = status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
        await this.sleep(
          retryAfter === undefined ? this.backoff(attempt) : Math.min(retryAfter, this.maxDelayMs),
        );
      }
    }
    throw new SlackDeliveryError(
      'slack_unavailable',
      `Slack did not take the message after ${this.maxAttempts} attempt${this.maxAttempts === 1 ? '' : 's'}: ${last.reason}`,
      { ...(last.status === undefined ? {} : { status: last.status }), attempts: this.maxAttempts },
      last.cause === undefined ? undefined : { cause: last.cause },
    );
  }

  /** Exponential, capped, with jitter: half fixed, half random, so retries of many posts spread. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }
}

/** `Retry-After` in seconds (Slack sends seconds); undefined when absent or not a number. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+(\.\d+)?\s*$/.test(header)) return undefined;
  return Math.round(Number(header) * 1000);
}

function failureOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return `network error${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** Removes the URL, and its path (the secret part) wherever it appears on its own. */
function redact(text: string, url: string): string {
  if (url === '') return text;
  let out = text.replaceAll(url, REDACTED);
  const path = URL.canParse(url) ? new URL(url).pathname : '';
  if (path.length > 1) out = out.replaceAll(path, REDACTED);
  return out;
}

/** A copy of `error` (and of its cause) without the URL: name, code and message only. */
function redacted(error: unknown, url: string, depth = 0): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(
    redact(source.message, url),
    source.cause !== undefined && depth < 2 ? { cause: redacted(source.cause, url, depth + 1) } : undefined,
  );
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}
