import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ThresholdCrossing, ThresholdPublisher } from '../../../shared/metering/ports.js';
import { thresholdMessage } from '../sns/sns-threshold-publisher.js';

/**
 * The local stand-in for the thresholds SNS topic: the same JSON message, printed and
 * appended to `thresholds.jsonl` in the data directory.
 */
export class ConsoleThresholdPublisher implements ThresholdPublisher {
  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void,
  ) {}

  async publish(crossings: readonly ThresholdCrossing[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    for (const crossing of crossings) {
      await appendFile(this.file, `${thresholdMessage(crossing)}\n`);
      const scope = crossing.scope
        ? ` ${Object.entries(crossing.scope)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
        : '';
      this.print(
        `threshold ${crossing.percent}% reached: ${crossing.tenant} ${crossing.entitlement}${scope} used ${crossing.used} of ${crossing.limit}${crossing.blocked ? ' — BLOCKED' : ''}`,
      );
    }
  }
}
