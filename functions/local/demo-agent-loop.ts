/**
 * The alerting demo: `hooli`'s research agent, with a week of ordinary hourly usage behind it
 * (sent once, backdated, as a producer would backfill), keeps a steady pace; a minute into the
 * demo it gets stuck in a loop and sends 40× its usual tokens for five minutes, then stops. The
 * detector opens one alert within one detection cycle (the hour so far, projected), keeps quiet
 * while the incident merely continues, and resolves it once the agent's rate has been normal for
 * a few minutes (`LOCAL_QUIET_MINUTES`).
 */
import { ulid } from 'ulid';
import { DAY_MS, HOUR_MS } from '../../shared/time/windows.js';
import { LOCAL_QUIET_MINUTES } from './local-alerting.js';

export const LOOP_TENANT = 'hooli';
/** Tokens per second of the ordinary pace (≈ 216,000 an hour). */
export const NORMAL_TOKENS_PER_SECOND = 60;
export const LOOP_FACTOR = 40;
/** Seconds into the demo the loop starts, and how long it lasts. */
export const LOOP_STARTS_AT = 60;
export const LOOP_LASTS = 300;

type Event = Record<string, unknown>;

function completion(time: string, inputTokens: number): Event {
  return {
    specversion: '1.0',
    id: ulid(),
    source: 'demo',
    type: 'llm.completion',
    subject: LOOP_TENANT,
    time,
    data: {
      model: 'gpt-4o',
      workspace: 'research',
      project: 'demo',
      agent: 'research-agent',
      input_tokens: inputTokens,
      output_tokens: Math.round(inputTokens / 8),
      cached_tokens: 0,
    },
  };
}

/** A small deterministic wobble (±10%) so the history looks like traffic, not a constant. */
function wobble(hour: number): number {
  return 1 + 0.1 * Math.sin(hour * 12.9898);
}

/**
 * A week of hourly history up to now: one event per past hour, and the current hour so far,
 * pro rata. Times are spread inside each hour, so they land in that hour's counters.
 */
export function agentLoopHistory(nowMs: number): Event[] {
  const currentHour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const perHour = NORMAL_TOKENS_PER_SECOND * 3600;
  const events: Event[] = [];
  for (let hour = currentHour - 7 * DAY_MS; hour < currentHour; hour += HOUR_MS) {
    events.push(
      completion(new Date(hour + 30 * 60_000).toISOString(), Math.round(perHour * wobble(hour / HOUR_MS))),
    );
  }
  const elapsed = nowMs - currentHour;
  if (elapsed > 60_000) {
    events.push(
      completion(
        new Date(currentHour + elapsed / 2).toISOString(),
        Math.round((perHour * elapsed) / HOUR_MS),
      ),
    );
  }
  return events;
}

/** The events of one demo tick (a second): the ordinary pace, or 40× it while the loop runs. */
export function agentLoopTraffic(tick: number, nowMs: number): { events: Event[]; note?: string } {
  const looping = tick >= LOOP_STARTS_AT && tick < LOOP_STARTS_AT + LOOP_LASTS;
  const tokens = NORMAL_TOKENS_PER_SECOND * (looping ? LOOP_FACTOR : 1);
  const events = [completion(new Date(nowMs).toISOString(), tokens)];
  if (tick === LOOP_STARTS_AT) {
    return {
      events,
      note: `demo: ${LOOP_TENANT}'s research agent is stuck in a loop (${LOOP_FACTOR}× its usual tokens for ${LOOP_LASTS / 60} minutes); the detector will open one alert (npx tollgate alerts list)`,
    };
  }
  if (tick === LOOP_STARTS_AT + LOOP_LASTS) {
    return {
      events,
      note: `demo: ${LOOP_TENANT}'s agent loop stopped; the alert resolves once its rate has been normal for ${LOCAL_QUIET_MINUTES} minutes`,
    };
  }
  return { events };
}
