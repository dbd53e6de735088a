import type {
  ConverseCommandOutput,
  ConverseStreamOutput,
  TokenUsage,
} from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import {
  captureBedrockConverseStreamUsage,
  fromBedrockConverse,
  MissingUsageError,
} from '../../../../shared/sdk/integrations/index.js';
import { collector, drain, scriptedClock, streamOf } from './stream-fixtures.js';

const MODEL_ID = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

function converseOutput(usage: TokenUsage | undefined, latencyMs: number | undefined): ConverseCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: '9d8e7f10-2b3c-4d5e-8f90-a1b2c3d4e5f6', attempts: 1 },
    output: { message: { role: 'assistant', content: [{ text: 'Hello.' }] } },
    stopReason: 'end_turn',
    usage,
    metrics: { latencyMs },
  } satisfies ConverseCommandOutput;
}

describe('fromBedrockConverse', () => {
  it('reads usage and Bedrock-measured latency; the model is the modelId the caller called', () => {
    const output = converseOutput({ inputTokens: 1200, outputTokens: 350, totalTokens: 1550 }, 1834);
    expect(fromBedrockConverse(output, { modelId: MODEL_ID })).toEqual({
      provider: 'bedrock',
      model: MODEL_ID,
      inputTokens: 1200,
      outputTokens: 350,
      latencyMs: 1834,
      responseId: '9d8e7f10-2b3c-4d5e-8f90-a1b2c3d4e5f6',
    });
  });

  it('keeps inputTokens as is: Bedrock reports cache reads and writes beside it, not inside it', () => {
    const output = converseOutput(
      {
        inputTokens: 25,
        outputTokens: 410,
        cacheReadInputTokens: 1800,
        cacheWriteInputTokens: 300,
        totalTokens: 2535, // 25 + 1800 + 300 + 410
      },
      900,
    );
    const usage = fromBedrockConverse(output, { modelId: MODEL_ID });
    expect([usage.inputTokens, usage.cachedTokens, usage.cacheWriteTokens]).toEqual([25, 1800, 300]);
  });

  it("prefers the caller's latency to Bedrock's metrics", () => {
    const output = converseOutput({ inputTokens: 1, outputTokens: 1, totalTokens: 2 }, 1834);
    expect(fromBedrockConverse(output, { modelId: MODEL_ID, latencyMs: 2050 }).latencyMs).toBe(2050);
  });

  it('leaves latency out when neither the caller nor Bedrock measured it', () => {
    const output = converseOutput({ inputTokens: 1, outputTokens: 1, totalTokens: 2 }, undefined);
    expect(fromBedrockConverse(output, { modelId: MODEL_ID })).not.toHaveProperty('latencyMs');
  });

  it('throws rather than record zero when usage or a total is missing', () => {
    expect(() => fromBedrockConverse(converseOutput(undefined, 10), { modelId: MODEL_ID })).toThrow(
      MissingUsageError,
    );
    const noOutput = converseOutput({ inputTokens: 10, outputTokens: undefined, totalTokens: 10 }, 10);
    expect(() => fromBedrockConverse(noOutput, { modelId: MODEL_ID })).toThrow(/usage\.outputTokens/);
  });
});

describe('captureBedrockConverseStreamUsage', () => {
  const body: ConverseStreamOutput[] = [
    { messageStart: { role: 'assistant' } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hel' } } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'lo.' } } },
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason: 'end_turn' } },
  ];
  const metadata = {
    metadata: {
      usage: { inputTokens: 40, outputTokens: 12, cacheReadInputTokens: 1024, totalTokens: 1076 },
      metrics: { latencyMs: 733 },
    },
  } satisfies ConverseStreamOutput;

  it("reports the metadata event's usage with Bedrock's latency", async () => {
    const events = [...body, metadata];
    const calls = collector();
    const seen = await drain(
      captureBedrockConverseStreamUsage(streamOf(events), { modelId: MODEL_ID, ...calls }),
    );
    expect(seen).toEqual(events);
    expect(calls.usages).toEqual([
      {
        provider: 'bedrock',
        model: MODEL_ID,
        inputTokens: 40,
        outputTokens: 12,
        cachedTokens: 1024,
        latencyMs: 733,
      },
    ]);
  });

  it('measures latency itself when the caller gives startedAt', async () => {
    const calls = collector();
    // six events arrive at 1100…1600
    const now = scriptedClock(1100, 1200, 1300, 1400, 1500, 1600);
    await drain(
      captureBedrockConverseStreamUsage(streamOf([...body, metadata]), {
        modelId: MODEL_ID,
        onUsage: calls.onUsage,
        startedAt: 1000,
        now,
      }),
    );
    expect(calls.usages[0]?.latencyMs).toBe(600); // 1600 last event − 1000 started
  });

  it('throws after the last event when no metadata event came', async () => {
    const calls = collector();
    await expect(
      drain(captureBedrockConverseStreamUsage(streamOf(body), { modelId: MODEL_ID, onUsage: calls.onUsage })),
    ).rejects.toMatchObject({ code: 'stream_ended_without_usage', provider: 'bedrock' });
    expect(calls.usages).toEqual([]);
  });
});
