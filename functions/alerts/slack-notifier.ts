/**
 * The Slack notifier: subscribed to the alerts and thresholds topics through SNS (an asynchronous
 * invoke), it renders each message as Block Kit and posts it. A post that still fails after the
 * poster's retries fails the invocation, so Lambda retries it (twice) and then sends the event
 * to the function's on-failure destination (the DLQ). A message that is not an alert nor a
 * crossing is logged with its reason and skipped: retrying it could never succeed. While Slack
 * is not configured (the webhook secret is empty or `none`), messages are dropped with a log line.
 * Each message goes to the channels its routing picks (by tenant, severity and kind; see
 * shared/alerts/slack-routing.ts): one webhook URL gets everything.
 */
import type { SNSEvent } from 'aws-lambda';
import { InvalidNotificationError, parseNotification } from '../../shared/alerts/notification.js';
import {
  type SlackPayload,
  slackMessageForAlarm,
  slackMessageForAlert,
  slackMessageForThreshold,
} from '../../shared/alerts/slack-message.js';
import { type SlackTarget, slackTargetOf } from '../../shared/alerts/slack-routing.js';

/** Where the payloads go (`RoutedSlackPoster`): the routes `target` matches; their names. */
export interface SlackPoster {
  configured(): Promise<boolean>;
  post(payload: SlackPayload, target: SlackTarget): Promise<readonly string[]>;
}

export interface NotifierLogger {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

export interface SlackNotifierDeps {
  readonly poster: SlackPoster;
  /** The API's base URL, for clickable links. */
  readonly apiBaseUrl?: string;
  readonly logger: NotifierLogger;
}

export function createSlackNotifier(deps: SlackNotifierDeps): (event: SNSEvent) => Promise<void> {
  const { poster, logger } = deps;
  const options = deps.apiBaseUrl === undefined ? {} : { apiBaseUrl: deps.apiBaseUrl };
  return async (event) => {
    if (!(await poster.configured())) {
      logger.info('Slack is not configured: notifications dropped', {
        messageIds: event.Records.map((record) => record.Sns.MessageId),
      });
      return;
    }
    const failures: unknown[] = [];
    // SNS invokes with one record; several are posted in turn and a failure fails them all.
    for (const record of event.Records) {
      const where = { messageId: record.Sns.MessageId, topicArn: record.Sns.TopicArn };
      let payload: SlackPayload;
      let about: Record<string, unknown>;
      let target: SlackTarget;
      try {
        const notification = parseNotification(record.Sns.Message);
        target = slackTargetOf(notification);
        if (notification.kind === 'alert') {
          payload = slackMessageForAlert(notification.message, options);
          about = { alertId: notification.message.alertId, type: notification.message.type };
        } else if (notification.kind === 'threshold') {
          payload = slackMessageForThreshold(notification.crossing, options);
          about = { crossingId: notification.crossing.id };
        } else {
          payload = slackMessageForAlarm(notification.alarm);
          about = { alarm: notification.alarm.AlarmName, state: notification.alarm.NewStateValue };
        }
      } catch (error) {
        if (!(error instanceof InvalidNotificationError)) throw error;
        logger.warn('notification skipped: not an alert nor a threshold crossing', {
          ...where,
          reason: error.code,
          field: error.field,
          problem: error.message,
        });
        continue;
      }
      try {
        const routes = await poster.post(payload, target);
        if (routes.length === 0) {
          logger.info('no Slack route matches: notification dropped', { ...where, ...about, ...target });
        } else {
          logger.info('notification posted to Slack', { ...where, ...about, routes });
        }
      } catch (error) {
        logger.error('notification not delivered to Slack', { ...where, ...about, error });
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  };
}
