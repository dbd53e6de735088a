import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { awsSlackNotifierDeps } from '../composition/aws-alerts.js';
import { createSlackNotifier } from './slack-notifier.js';

/** SNS (alerts and thresholds topics, async invoke) → one Slack post per message; failures go to the DLQ. */
export const handler = middy<SNSEvent, void>(createSlackNotifier(awsSlackNotifierDeps()));
