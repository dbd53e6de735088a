/** Writes docs/usage-event.schema.json. Run: `npx tsx shared/contract/export-json-schema.ts`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { usageEventJsonSchema } from './json-schema.js';

const target = fileURLToPath(new URL('../../docs/usage-event.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(usageEventJsonSchema, null, 2)}\n`);
console.log(`wrote ${target}`);
