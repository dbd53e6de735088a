import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DeadLetter, LocalQueue, type LocalQueueOptions } from '../../../functions/local/local-queue.js';

const START = Date.parse('2026-12-03T06:00:00Z');

/** A clock that moves only when told. */
function fakeClock() {
  let at = START;
  return {
    now: () => at,
    advance: (ms: number) => {
      at += ms;
    },
  };
}

let clock: ReturnType<typeof fakeClock>;
beforeEach(() => {
  clock = fakeClock();
});

const makeQueue = (options: Partial<LocalQueueOptions<string>> = {}) =>
  new LocalQueue<string>({ visibilityTimeoutMs: 30_000, maxReceiveCount: 3, now: clock.now, ...options });

describe('LocalQueue', () => {
  it('hands out visible messages oldest first, up to the maximum asked', () => {
    const queue = makeQueue();
    const ids = queue.send(['a', 'b', 'c']);
    const received = queue.receive(2);
    expect(received.map((m) => m.body)).toEqual(['a', 'b']);
    expect(received.map((m) => m.messageId)).toEqual(ids.slice(0, 2));
    expect(received[0]).toMatchObject({ receiveCount: 1, sentAt: START, firstReceivedAt: START });
    expect(queue.receive(10).map((m) => m.body)).toEqual(['c']);
    expect(queue.receive(10)).toEqual([]);
  });

  it('hides a received message for the visibility timeout, then delivers it again with a new handle', () => {
    const queue = makeQueue();
    queue.send(['a']);
    const first = queue.receive(1)[0]!;
    clock.advance(29_999);
    expect(queue.receive(1)).toEqual([]);
    expect(queue.stats()).toMatchObject({ visible: 0, inFlight: 1 });
    clock.advance(1);
    const second = queue.receive(1)[0]!;
    expect(second).toMatchObject({
      messageId: first.messageId,
      body: 'a',
      receiveCount: 2,
      firstReceivedAt: START,
    });
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('uses the visibility timeout given to receive over the queue default', () => {
    const queue = makeQueue();
    queue.send(['a']);
    queue.receive(1, 1_000);
    clock.advance(1_000);
    expect(queue.receive(1).map((m) => m.receiveCount)).toEqual([2]);
  });

  it('deletes a message by its latest receipt handle, so it never comes back', () => {
    const queue = makeQueue();
    queue.send(['a', 'b']);
    const [a] = queue.receive(1);
    expect(queue.delete(a!.receiptHandle)).toBe(true);
    expect(queue.delete(a!.receiptHandle)).toBe(false);
    clock.advance(60_000);
    expect(queue.receive(10).map((m) => m.body)).toEqual(['b']);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1, deadLettered: 0, sent: 2, deleted: 1 });
  });

  it('refuses a stale receipt handle once the message was received again', () => {
    const queue = makeQueue();
    queue.send(['a']);
    const first = queue.receive(1)[0]!;
    clock.advance(30_000);
    const second = queue.receive(1)[0]!;
    expect(queue.delete(first.receiptHandle)).toBe(false);
    expect(queue.delete(second.receiptHandle)).toBe(true);
  });

  it('accepts the delete of a message whose timeout passed but which nobody received again', () => {
    const queue = makeQueue();
    queue.send(['a']);
    const first = queue.receive(1)[0]!;
    clock.advance(45_000);
    expect(queue.delete(first.receiptHandle)).toBe(true);
    expect(queue.stats()).toMatchObject({ visible: 0, inFlight: 0, deleted: 1 });
  });

  it('dead-letters a message after maxReceiveCount receives without a delete', () => {
    const letters: DeadLetter<string>[] = [];
    const queue = makeQueue({ onDeadLetter: (letter) => void letters.push(letter) });
    const [id] = queue.sendEntries([{ body: 'poison', attributes: { tenant: 'acme' } }]);
    for (let receive = 1; receive <= 3; receive += 1) {
      expect(queue.receive(1).map((m) => m.receiveCount)).toEqual([receive]);
      clock.advance(30_000);
    }
    expect(queue.receive(1)).toEqual([]);
    const expected = {
      messageId: id,
      body: 'poison',
      attributes: { tenant: 'acme' },
      receiveCount: 3,
      sentAt: '2026-12-03T06:00:00.000Z',
      deadLetteredAt: '2026-12-03T06:01:30.000Z',
    };
    expect(letters).toEqual([expected]);
    expect(queue.deadLetters()).toEqual([expected]);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0, deadLettered: 1, sent: 1, deleted: 0 });
  });

  it('keeps a message on its last receive in flight until its timeout passes', () => {
    const queue = makeQueue({ maxReceiveCount: 1 });
    queue.send(['a']);
    const [only] = queue.receive(1);
    clock.advance(29_999);
    expect(queue.stats()).toMatchObject({ inFlight: 1, deadLettered: 0 });
    expect(queue.delete(only!.receiptHandle)).toBe(true);
    clock.advance(1);
    expect(queue.stats()).toMatchObject({ inFlight: 0, deadLettered: 0, deleted: 1 });
  });

  it('stays consistent when onDeadLetter throws', () => {
    const queue = makeQueue({
      maxReceiveCount: 1,
      onDeadLetter: () => {
        throw new Error('sink down');
      },
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    queue.send(['a', 'b']);
    queue.receive(1);
    clock.advance(30_000);
    expect(queue.receive(10).map((m) => m.body)).toEqual(['b']);
    expect(queue.stats()).toMatchObject({ deadLettered: 1, inFlight: 1 });
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });

  it('rejects a maxReceiveCount below 1', () => {
    expect(() => makeQueue({ maxReceiveCount: 0 })).toThrow(/maxReceiveCount/);
  });

  describe('with a dead-letter file', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'local-queue-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('appends one JSON line per dead letter, creating its directory', async () => {
      const file = join(dir, 'nested', 'invoice-jobs-dlq.jsonl');
      const queue = makeQueue({ maxReceiveCount: 1, deadLetterFile: file });
      queue.send(['{"tenant":"acme"}', '{"tenant":"globex"}']);
      queue.receive(1);
      clock.advance(30_000);
      queue.receive(1);
      clock.advance(30_000);
      queue.stats();
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
      expect(lines.map((line) => JSON.parse(line).body)).toEqual([
        '{"tenant":"acme"}',
        '{"tenant":"globex"}',
      ]);
      expect(JSON.parse(lines[0]!)).toEqual(queue.deadLetters()[0]);
    });
  });
});
