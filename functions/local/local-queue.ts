/**
 * An in-process stand-in for an SQS standard queue with a redrive policy, keeping the semantics a
 * consumer can observe:
 *
 * - `receive` hands out up to `max` visible messages (oldest first) and hides them for the
 *   visibility timeout; each receive counts (`receiveCount`, SQS's ApproximateReceiveCount) and
 *   gets a new receipt handle.
 * - `delete` takes the receipt handle of the latest receive; a stale handle (the message was
 *   received again since) or one of a message already gone deletes nothing and answers false.
 * - A message not deleted becomes visible again when its timeout passes; one that has been
 *   received `maxReceiveCount` times and is visible again moves to the dead-letter sink instead
 *   of being delivered once more (`onDeadLetter`, `deadLetters()`, and a JSONL line in
 *   `deadLetterFile` when given).
 *
 * Time comes from `now` (epoch ms), so tests move the clock instead of sleeping; state is
 * brought up to date on every call. Not modelled: delivery delays, long polling, message size
 * limits, and the at-least-once duplicates of a distributed queue (one copy per message here).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LocalQueueOptions<T> {
  /** Default visibility timeout of `receive`. */
  readonly visibilityTimeoutMs: number;
  /** Receives after which a message not deleted is dead-lettered (the redrive policy), ≥ 1. */
  readonly maxReceiveCount: number;
  /** Epoch milliseconds (default Date.now). */
  readonly now?: () => number;
  /** Appends each dead letter as one JSON line (directories are created as needed). */
  readonly deadLetterFile?: string;
  /** Called once per message, after it has moved to the dead-letter sink. */
  readonly onDeadLetter?: (message: DeadLetter<T>) => void | Promise<void>;
}

/** What to send: a body and string message attributes (SQS's `MessageAttributes`). */
export interface LocalQueueEntry<T> {
  readonly body: T;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface LocalQueueMessage<T> {
  readonly messageId: string;
  readonly body: T;
  readonly attributes: Readonly<Record<string, string>>;
  /** Valid until the message is received again. */
  readonly receiptHandle: string;
  /** Receives so far, this one included (1 on the first delivery). */
  readonly receiveCount: number;
  /** Epoch ms. */
  readonly sentAt: number;
  readonly firstReceivedAt: number;
}

export interface DeadLetter<T> {
  readonly messageId: string;
  readonly body: T;
  readonly attributes: Readonly<Record<string, string>>;
  readonly receiveCount: number;
  /** ISO-8601 UTC. */
  readonly sentAt: string;
  readonly deadLetteredAt: string;
}

export interface LocalQueueStats {
  /** Waiting to be received. */
  readonly visible: number;
  /** Received, neither deleted nor visible again yet. */
  readonly inFlight: number;
  readonly deadLettered: number;
  readonly sent: number;
  readonly deleted: number;
}

interface StoredMessage<T> {
  readonly messageId: string;
  readonly body: T;
  readonly attributes: Readonly<Record<string, string>>;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  receiptHandle: string | undefined;
  /** Epoch ms from which it may be received again (0 until the first receive). */
  visibleAt: number;
}

export class LocalQueue<T = string> {
  /** In send order, which is the order visible messages are received in. */
  private readonly messages = new Map<string, StoredMessage<T>>();
  private readonly byReceiptHandle = new Map<string, StoredMessage<T>>();
  private readonly dead: DeadLetter<T>[] = [];
  private readonly now: () => number;
  private sentCount = 0;
  private deletedCount = 0;
  private deadLetterDirReady = false;

  constructor(private readonly options: LocalQueueOptions<T>) {
    if (!Number.isInteger(options.maxReceiveCount) || options.maxReceiveCount < 1) {
      throw new RangeError(`maxReceiveCount must be an integer ≥ 1, not ${options.maxReceiveCount}`);
    }
    if (!(options.visibilityTimeoutMs >= 0)) {
      throw new RangeError(`visibilityTimeoutMs must be ≥ 0, not ${options.visibilityTimeoutMs}`);
    }
    this.now = options.now ?? Date.now;
  }

  /** Enqueues the bodies (no attributes); answers their message ids, in order. */
  send(bodies: readonly T[]): string[] {
    return this.sendEntries(bodies.map((body) => ({ body })));
  }

  /** Enqueues bodies with message attributes; answers their message ids, in order. */
  sendEntries(entries: readonly LocalQueueEntry<T>[]): string[] {
    const sentAt = this.now();
    return entries.map(({ body, attributes }) => {
      const messageId = randomUUID();
      this.messages.set(messageId, {
        messageId,
        body,
        attributes: { ...attributes },
        sentAt,
        receiveCount: 0,
        firstReceivedAt: undefined,
        receiptHandle: undefined,
        visibleAt: 0,
      });
      this.sentCount += 1;
      return messageId;
    });
  }

  /** Up to `max` visible messages, each hidden for `visibilityTimeoutMs` (default: the queue's). */
  receive(max: number, visibilityTimeoutMs = this.options.visibilityTimeoutMs): LocalQueueMessage<T>[] {
    const now = this.settle();
    const received: LocalQueueMessage<T>[] = [];
    for (const message of this.messages.values()) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.receiptHandle !== undefined) this.byReceiptHandle.delete(message.receiptHandle);
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = `${message.messageId}#${message.receiveCount}`;
      message.visibleAt = now + visibilityTimeoutMs;
      this.byReceiptHandle.set(message.receiptHandle, message);
      received.push({
        messageId: message.messageId,
        body: message.body,
        attributes: message.attributes,
        receiptHandle: message.receiptHandle,
        receiveCount: message.receiveCount,
        sentAt: message.sentAt,
        firstReceivedAt: message.firstReceivedAt,
      });
    }
    return received;
  }

  /** Deletes the message of the latest receipt handle; false when there is none any more. */
  delete(receiptHandle: string): boolean {
    this.settle();
    const message = this.byReceiptHandle.get(receiptHandle);
    if (message === undefined) return false;
    this.byReceiptHandle.delete(receiptHandle);
    this.messages.delete(message.messageId);
    this.deletedCount += 1;
    return true;
  }

  /** The messages dead-lettered by this queue object, oldest first. */
  deadLetters(): readonly DeadLetter<T>[] {
    this.settle();
    return [...this.dead];
  }

  stats(): LocalQueueStats {
    const now = this.settle();
    let inFlight = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now) inFlight += 1;
    }
    return {
      visible: this.messages.size - inFlight,
      inFlight,
      deadLettered: this.dead.length,
      sent: this.sentCount,
      deleted: this.deletedCount,
    };
  }

  /** Dead-letters the visible messages that used up their receives; answers the time it used. */
  private settle(): number {
    const now = this.now();
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now && message.receiveCount >= this.options.maxReceiveCount) {
        this.deadLetter(message, now);
      }
    }
    return now;
  }

  private deadLetter(message: StoredMessage<T>, now: number): void {
    this.messages.delete(message.messageId);
    if (message.receiptHandle !== undefined) this.byReceiptHandle.delete(message.receiptHandle);
    const letter: DeadLetter<T> = {
      messageId: message.messageId,
      body: message.body,
      attributes: message.attributes,
      receiveCount: message.receiveCount,
      sentAt: new Date(message.sentAt).toISOString(),
      deadLetteredAt: new Date(now).toISOString(),
    };
    this.dead.push(letter);
    if (this.options.deadLetterFile !== undefined) this.persist(this.options.deadLetterFile, letter);
    this.notify(letter);
  }

  /**
   * Synchronous on purpose: dead letters are rare, the line is on disk before anyone can observe
   * the move, and the lines stay in dead-lettering order without a write queue.
   */
  private persist(path: string, letter: DeadLetter<T>): void {
    if (!this.deadLetterDirReady) {
      mkdirSync(dirname(path), { recursive: true });
      this.deadLetterDirReady = true;
    }
    appendFileSync(path, `${JSON.stringify(letter)}\n`);
  }

  /** The callback is the caller's code: its failure must not leave the queue half-updated. */
  private notify(letter: DeadLetter<T>): void {
    const report = (error: unknown) =>
      console.warn(`[local-queue] onDeadLetter failed for message ${letter.messageId}`, error);
    try {
      const result = this.options.onDeadLetter?.(letter);
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }
}
