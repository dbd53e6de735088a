/**
 * Helpers for the streaming tests: an async iterable over fixed chunks (optionally failing
 * after them), a scripted clock, and a collector for the wrappers' callbacks.
 */

import type { MissingStreamUsage } from '../../../../shared/sdk/integrations/index.js';
import type { LlmUsage } from '../../../../shared/sdk/llm-usage.js';

export async function* streamOf<T>(chunks: readonly T[], failWith?: Error): AsyncGenerator<T> {
  for (const chunk of chunks) yield chunk;
  if (failWith !== undefined) throw failWith;
}

/** A clock returning the given epoch milliseconds in turn (the last one repeats). */
export function scriptedClock(...times: number[]): () => number {
  let next = 0;
  return () => {
    const time = times[Math.min(next, times.length - 1)];
    next += 1;
    if (time === undefined) throw new Error('scriptedClock needs at least one time');
    return time;
  };
}

export function collector() {
  const usages: LlmUsage[] = [];
  const missing: MissingStreamUsage[] = [];
  return {
    usages,
    missing,
    onUsage: (usage: LlmUsage) => {
      usages.push(usage);
    },
    onMissingUsage: (info: MissingStreamUsage) => {
      missing.push(info);
    },
  };
}

export async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const chunk of stream) seen.push(chunk);
  return seen;
}
