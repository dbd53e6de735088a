import { createServer } from 'node:net';
import { startDynamoDbLocal } from './functions/local/emulators/dynamodb-local.ts';
import { startKinesisLocal } from './functions/local/emulators/kinesis-local.ts';
const server = createServer().listen(0);
await new Promise((r) => server.once('listening', r));
const port = (server.address() as { port: number }).port;
for (const start of [startDynamoDbLocal, startKinesisLocal]) {
  const t = Date.now();
  try { await start({ port }); console.log('unexpected start'); } catch (e) { console.log(Date.now() - t, 'ms', (e as any).code, String((e as Error).message).slice(0, 900)); }
}
server.close();
