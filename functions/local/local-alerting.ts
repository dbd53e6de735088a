/**
 * Alerting on the local runtime: the same detector run as on AWS, on a timer (EventBridge
 * Scheduler there), over DynamoDB Local. Alerts are printed and appended to
 * `<dataDir>/alerts.jsonl`; with `TOLLGATE_SLACK_WEBHOOK_URL` (or `TOLLGATE_SLACK_ROUTES`) set
 * they are also posted to Slack (the same Block Kit, routing and retries as the notifier Lambda).
 */
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_DETECTOR_OPTIONS } from '../../shared/alerts/detection/detector-options.js';
import { DEFAULT_INCIDENT_OPTIONS } from '../../shared/alerts/incident.js';
import { type DetectionSummary, runDetection } from '../../shared/alerts/run-detection.js';
import { slackMessageForAlert } from '../../shared/alerts/slack-message.js';
import { slackTargetOf } from '../../shared/alerts/slack-routing.js';
import type { TableId } from '../../shared/tables/table-definitions.js';
import { ConsoleAlertPublisher } from '../adapters/local/console-alert-publisher.js';
import { RoutedSlackPoster } from '../adapters/slack/routed-slack-poster.js';
import { alertingDeps } from '../composition/alerting-deps.js';

/** Quiet minutes before a spike resolves locally (the demo's loop resolves this long after it stops). */
export const LOCAL_QUIET_MINUTES = 5;

export interface LocalAlertingOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tables: Readonly<Record<TableId, string>>;
  readonly dataDir: string;
  /** 0: no timer (runs only on demand). */
  readonly intervalSeconds: number;
  /** Slack: a webhook URL or a routing document (http:// admitted: local test servers). */
  readonly slackRouting?: string;
  readonly apiUrl?: () => string | undefined;
  readonly print: (line: string) => void;
  readonly clock?: () => number;
}

export function startLocalAlerting(options: LocalAlertingOptions) {
  const { print } = options;
  const routing = options.slackRouting;
  const poster =
    routing === undefined
      ? undefined
      : new RoutedSlackPoster({ config: async () => routing, allowHttp: true });
  const deps = alertingDeps({
    dynamodb: options.dynamodb,
    tables: options.tables,
    publisher: new ConsoleAlertPublisher(
      join(options.dataDir, 'alerts.jsonl'),
      print,
      poster === undefined
        ? undefined
        : async (message) => {
            const apiBaseUrl = options.apiUrl?.();
            await poster.post(
              slackMessageForAlert(message, apiBaseUrl === undefined ? {} : { apiBaseUrl }),
              slackTargetOf({ kind: 'alert', message }),
            );
          },
    ),
    clock: options.clock ?? Date.now,
    detector: DEFAULT_DETECTOR_OPTIONS,
    minSpendPerHour: 1,
    // Locally a spike resolves after 5 quiet minutes (30 on AWS) and any incident after one
    // normal hour (two on AWS), so the demo's alert resolves minutes after its loop stops.
    incidents: {
      ...DEFAULT_INCIDENT_OPTIONS,
      resolveAfterHours: 1,
      resolveAfterQuietMinutes: LOCAL_QUIET_MINUTES,
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const run = (): Promise<DetectionSummary> => {
    const next = running.then(() => runDetection(deps));
    running = next.catch(() => undefined);
    return next;
  };
  return {
    alerts: deps.alerts,
    run,
    start(): void {
      if (options.intervalSeconds <= 0) return;
      const tick = (): void => {
        run().catch((error: unknown) => print(`alerts: detector run failed: ${(error as Error).message}`));
      };
      timer = setInterval(tick, options.intervalSeconds * 1000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer !== undefined) clearInterval(timer);
      await running;
    },
  };
}
