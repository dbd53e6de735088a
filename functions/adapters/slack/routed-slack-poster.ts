/**
 * Posts a payload to the Slack channels its message is routed to (shared/alerts/slack-routing.ts):
 * the configuration text (the webhook secret, or locally the URL or routes file) holds one
 * webhook URL or a routing document. Each route is posted by a `SlackWebhookPoster` (retries,
 * redaction). Every matching route is tried; if any fails, the first failure is thrown after the
 * others were tried, so the invocation is retried (routes that succeeded then see the message
 * again: Slack has no idempotency key). A configuration that does not parse fails with
 * `slack_not_configured` and the field at fault, never with the text (it holds credentials).
 */

import type { SlackPayload } from '../../../shared/alerts/slack-message.js';
import {
  parseSlackRouting,
  routesFor,
  type SlackRouting,
  SlackRoutingError,
  type SlackTarget,
} from '../../../shared/alerts/slack-routing.js';
import {
  SlackDeliveryError,
  SlackWebhookPoster,
  type SlackWebhookPosterOptions,
} from './slack-webhook-poster.js';

export interface RoutedSlackPosterOptions {
  /** The configuration text: a webhook URL, a routing document, `none` or empty. */
  readonly config: () => Promise<string>;
  /** Admit http:// webhook URLs (tests against a local server); https only otherwise. */
  readonly allowHttp?: boolean;
  /** Retry, timeout and transport options of each route's poster. */
  readonly poster?: Omit<SlackWebhookPosterOptions, 'webhookUrl'>;
}

export class RoutedSlackPoster {
  private parsed: { readonly text: string; readonly routing: SlackRouting | undefined } | undefined;

  constructor(private readonly options: RoutedSlackPosterOptions) {}

  /** False when the configuration holds nothing or `none`. Throws when it does not parse. */
  async configured(): Promise<boolean> {
    return (await this.routing()) !== undefined;
  }

  /** Posts to every route `target` matches; the names of those routes (none: nothing posted). */
  async post(payload: SlackPayload, target: SlackTarget): Promise<string[]> {
    const routing = await this.routing();
    if (routing === undefined) {
      throw new SlackDeliveryError('slack_not_configured', 'Slack is not configured', { attempts: 0 });
    }
    const routes = routesFor(routing, target);
    const failures: unknown[] = [];
    for (const route of routes) {
      const poster = new SlackWebhookPoster({
        ...this.options.poster,
        webhookUrl: route.webhookUrl,
      });
      try {
        await poster.post(payload);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
    return routes.map((route) => route.name);
  }

  private async routing(): Promise<SlackRouting | undefined> {
    const text = await this.options.config();
    if (this.parsed?.text === text) return this.parsed.routing;
    let routing: SlackRouting | undefined;
    try {
      routing = parseSlackRouting(text, { allowHttp: this.options.allowHttp ?? false });
    } catch (error) {
      if (!(error instanceof SlackRoutingError)) throw error;
      throw new SlackDeliveryError(
        'slack_not_configured',
        `the Slack configuration is invalid: ${error.message}`,
        {
          attempts: 0,
        },
      );
    }
    this.parsed = { text, routing };
    return routing;
  }
}
