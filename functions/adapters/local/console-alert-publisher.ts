import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AlertMessage } from '../../../shared/alerts/alert.js';
import type { AlertPublisher } from '../../../shared/alerts/ports.js';

/**
 * The alerts topic on the local runtime: each message appended to `alerts.jsonl` in the data
 * directory and a one-line summary printed; when a Slack sender is given (the local runtime
 * passes one when `TOLLGATE_SLACK_WEBHOOK_URL` is set), the message is also posted to Slack.
 */
export class ConsoleAlertPublisher implements AlertPublisher {
  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void,
    private readonly slack?: (message: AlertMessage) => Promise<void>,
  ) {}

  async publish(message: AlertMessage): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(message)}\n`);
    const icon = message.type === 'alert.resolved' ? 'resolved' : message.severity.toUpperCase();
    this.print(`alert ${icon}: ${message.title} [${message.alertId}]`);
    if (this.slack !== undefined) await this.slack(message);
  }
}
