import { createHash } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalQueue } from '../../../functions/local/local-queue.js';
import {
  LOCAL_QUEUE_ARN,
  type SqsBatchHandler,
  type SqsWorkerPoller,
  startSqsWorkerPoller,
} from '../../../functions/local/sqs-worker-poller.js';

const START = Date.parse('2026-12-03T06:00:00Z');
const VISIBILITY_MS = 30_000;

let at = START;
const now = () => at;
const advance = (ms: number) => {
  at += ms;
};

let queue: LocalQueue<string>;
let poller: SqsWorkerPoller | undefined;
let invocations: SQSEvent[];
let errors: Error[];

beforeEach(() => {
  at = START;
  queue = new LocalQueue<string>({ visibilityTimeoutMs: VISIBILITY_MS, maxReceiveCount: 3, now });
  invocations = [];
  errors = [];
});

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

/** Starts a poller whose handler records each event and answers what `respond` says. */
function start(
  respond: (event: SQSEvent) => SQSBatchResponse | undefined | Promise<SQSBatchResponse | undefined>,
  batchSize?: number,
): SqsWorkerPoller {
  const handler: SqsBatchHandler = async (event) => {
    invocations.push(event);
    return respond(event);
  };
  poller = startSqsWorkerPoller({
    queue,
    handler,
    pollIntervalMs: 1,
    now,
    onError: (error) => void errors.push(error),
    ...(batchSize === undefined ? {} : { batchSize }),
  });
  return poller;
}

const bodiesOf = (event: SQSEvent | undefined) => event?.Records.map((record) => record.body);
const failing = (event: SQSEvent, body: string): SQSBatchResponse => ({
  batchItemFailures: event.Records.filter((r) => r.body === body).map((r) => ({
    itemIdentifier: r.messageId,
  })),
});

describe('startSqsWorkerPoller', () => {
  it('invokes the handler with a Lambda SQS event and deletes a successful batch', async () => {
    const body = '{"tenant":"acme"}';
    const [id] = queue.sendEntries([{ body, attributes: { tenant: 'acme' } }]);
    await start(() => undefined).drain();
    expect(invocations).toHaveLength(1);
    const record = invocations[0]?.Records[0];
    expect(record).toMatchObject({
      messageId: id,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(START),
        ApproximateFirstReceiveTimestamp: String(START),
      },
      messageAttributes: { tenant: { stringValue: 'acme', dataType: 'String' } },
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: LOCAL_QUEUE_ARN,
      awsRegion: 'us-east-1',
    });
    expect(record?.receiptHandle).toEqual(expect.any(String));
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, deadLettered: 0, sent: 1, deleted: 1 });
  });

  it('takes at most batchSize messages per invocation', async () => {
    queue.send(Array.from({ length: 25 }, (_, i) => `job-${i}`));
    await start(() => ({ batchItemFailures: [] }), 10).drain();
    expect(invocations.map((event) => event.Records.length)).toEqual([10, 10, 5]);
  });

  it('on a partial batch failure deletes the others and delivers only the failed message again', async () => {
    queue.send(['a', 'b', 'c']);
    const poller = start((event) =>
      event.Records[0]?.attributes.ApproximateReceiveCount === '1' ? failing(event, 'b') : undefined,
    );
    await poller.idle();
    expect(queue.stats()).toMatchObject({ visible: 0, inFlight: 1, deleted: 2 });
    advance(VISIBILITY_MS);
    await poller.drain();
    expect(invocations.map(bodiesOf)).toEqual([['a', 'b', 'c'], ['b']]);
    expect(invocations[1]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(queue.stats()).toMatchObject({ deleted: 3, deadLettered: 0 });
  });

  it('when the handler throws deletes nothing and delivers the whole batch again', async () => {
    queue.send(['a', 'b']);
    let calls = 0;
    const poller = start(() => {
      calls += 1;
      if (calls === 1) throw new Error('store unavailable');
      return undefined;
    });
    await poller.idle();
    expect(queue.stats()).toMatchObject({ inFlight: 2, deleted: 0 });
    expect(errors.map((error) => error.message)).toEqual(['store unavailable']);
    advance(VISIBILITY_MS);
    await poller.drain();
    expect(invocations.map(bodiesOf)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(queue.stats()).toMatchObject({ deleted: 2 });
  });

  it.each([
    ['an unknown itemIdentifier', { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a response that is not an object', 'ok' as unknown as SQSBatchResponse],
  ])('treats %s as a failure of the whole batch, as Lambda does', async (_, response) => {
    queue.send(['a', 'b']);
    const poller = start(() => response);
    await poller.idle();
    expect(queue.stats()).toMatchObject({ inFlight: 2, deleted: 0 });
    expect(errors).toHaveLength(1);
  });

  it('lets the queue dead-letter a message that fails maxReceiveCount times, then drains', async () => {
    queue.send(['good', 'poison']);
    const poller = start((event) => failing(event, 'poison'));
    for (let receive = 1; receive <= 3; receive += 1) {
      await poller.idle();
      advance(VISIBILITY_MS);
    }
    await poller.drain();
    expect(invocations.map(bodiesOf)).toEqual([['good', 'poison'], ['poison'], ['poison']]);
    expect(queue.deadLetters().map((letter) => [letter.body, letter.receiveCount])).toEqual([['poison', 3]]);
    expect(queue.stats()).toMatchObject({ visible: 0, inFlight: 0, deadLettered: 1, deleted: 1 });
  });

  it('drain waits while a failed message is hidden by its visibility timeout', async () => {
    queue.send(['a']);
    const poller = start((event) =>
      event.Records[0]?.attributes.ApproximateReceiveCount === '1' ? failing(event, 'a') : undefined,
    );
    await poller.idle();
    let drained = false;
    const draining = poller.drain().then(() => {
      drained = true;
    });
    await poller.idle();
    expect(drained).toBe(false);
    advance(VISIBILITY_MS);
    await draining;
    expect(invocations).toHaveLength(2);
  });

  it('drain rejects with drain_timeout once its timeout has passed on the clock', async () => {
    queue.send(['a']);
    const poller = start((event) => failing(event, 'a'));
    await poller.idle();
    const draining = poller.drain({ timeoutMs: 10_000 });
    advance(10_000);
    await expect(draining).rejects.toMatchObject({ code: 'drain_timeout' });
  });

  it('stop lets the batch in flight finish and delete, then rejects waiters with poller_stopped', async () => {
    queue.send(['first', 'second']);
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const poller = start(async () => {
      entered();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return undefined;
    }, 1);
    await inHandler;
    const draining = poller.drain();
    const stopping = poller.stop();
    release();
    await stopping;
    await expect(draining).rejects.toMatchObject({ code: 'poller_stopped' });
    await expect(poller.drain()).rejects.toMatchObject({ code: 'poller_stopped' });
    expect(invocations.map(bodiesOf)).toEqual([['first']]);
    expect(queue.stats()).toMatchObject({ visible: 1, deleted: 1 });
  });
});
