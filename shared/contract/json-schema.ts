/**
 * The usage event as JSON Schema (draft-07, the dialect most validators and editors accept),
 * generated from the zod schema that validates events so the two cannot drift. Published as
 * docs/usage-event.schema.json by `npx tsx shared/contract/export-json-schema.ts`.
 *
 * JSON Schema cannot say everything: "at most 18 significant digits and 12 fractional digits"
 * and "a real date" are stated in descriptions, and the 35-day / 5-minute time window depends
 * on arrival time, so it is enforced only by `validateEvent`.
 */
import { z } from 'zod';
import {
  DEDUP_HORIZON_DAYS,
  MAX_DATA_STRING_LENGTH,
  MAX_FUTURE_SKEW_MS,
  usageDataSchema,
  usageEventSchema,
} from './usage-event.js';

const shape = usageEventSchema.shape;

const documentedEventSchema = usageEventSchema
  .extend({
    specversion: shape.specversion.meta({ description: 'CloudEvents version; "1.0" when present.' }),
    id: shape.id.meta({
      description:
        'Event id, 1–128 printable ASCII characters. With `subject` it is the idempotency key: the same (subject, id) is counted once.',
    }),
    source: shape.source.meta({ description: 'Who produced the event, e.g. "chat-api".' }),
    type: shape.type.meta({
      description: 'What happened, e.g. "llm.completion"; meters select events by type.',
    }),
    subject: shape.subject.meta({ description: "The tenant: the billed customer's id." }),
    time: shape.time.meta({
      format: 'date-time',
      description: `RFC 3339 with offset (Z or ±hh:mm), a real date. Accepted from ${DEDUP_HORIZON_DAYS} days before to ${MAX_FUTURE_SKEW_MS / 60_000} minutes after arrival.`,
    }),
    data: usageDataSchema.meta({
      description: `A flat object: numbers (finite, ≥ 0, ≤ 10^18, at most 18 significant digits and 12 fractional digits) that meters sum, count or max, and strings (≤ ${MAX_DATA_STRING_LENGTH} characters: dimensions such as "model", or decimal numbers such as "0.25").`,
    }),
  })
  .meta({
    title: 'Tollgate usage event (v1)',
    description:
      'A CloudEvents 1.0 JSON object (structured mode). Other top-level attributes (CloudEvents extensions) are allowed and ignored.',
  });

/** The JSON Schema of one usage event. */
export const usageEventJsonSchema: Readonly<Record<string, unknown>> = z.toJSONSchema(documentedEventSchema, {
  target: 'draft-7',
  io: 'input',
});
