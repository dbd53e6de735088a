/**
 * The Tollgate producer SDK, AWS-free: `UsageClient` over a `PutRecordsTransport` port, event
 * preparation and validation, packing, retries, and the provider integrations. The Kinesis
 * composition (`createUsageClient`) is in functions/sdk.
 */
export * from './integrations/index.js';
export * from './llm-usage.js';
export * from './pack-records.js';
export * from './put-with-retry.js';
export * from './usage-client.js';
export * from './usage-event-input.js';
