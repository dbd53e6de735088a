/**
 * `npm start`: Tollgate on this machine. See `npm start -- --help`.
 */
import { createKinesisClient } from '../adapters/aws-clients.js';
import { startDemo } from './demo.js';
import { LocalConfigError, readLocalConfig, USAGE } from './local-config.js';
import { LOCAL_REGION, startLocalRuntime } from './local-runtime.js';

const print = (line: string) => console.log(line);

/** 13:00 UTC on the first of next month: past this period's end and its 12 h grace period. */
function billingClockAhead(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 13)).toISOString();
}

async function main(): Promise<void> {
  const config = readLocalConfig(process.env, process.argv.slice(2));
  if (config.help) {
    print(USAGE);
    return;
  }
  print('Starting Tollgate locally: DynamoDB Local and the Kinesis emulator…');
  const runtime = await startLocalRuntime(config, print);
  const { status } = runtime;
  print(`
Tollgate is running.
  API       ${status.apiUrl}            (GET /v1/health)
  Kinesis   ${status.kinesisEndpoint}   stream ${status.streamName}
  DynamoDB  ${status.dynamodbEndpoint}
  Admin token: ${status.adminToken}
  Data: ${config.dataDir} (kept across restarts; --fresh starts over)

Try:  npx tollgate status
      npx tollgate entitlements globex
      npx tollgate usage acme --meter input_tokens
      echo '{"id":"e1","type":"llm.completion","subject":"acme","time":"'$(date -u +%FT%TZ)'","data":{"model":"gpt-4o","input_tokens":100}}' | npx tollgate send -
      npx tollgate keys create acme --label my-app    # then POST /v1/events with that key
      npx tollgate invoices upcoming --tenant acme     # this period's running invoice
      npx tollgate billing run --as-of ${billingClockAhead()}   # advance the billing clock: close this period
      npx tollgate invoices list --tenant acme         # then: npx tollgate invoices download <id>
${config.demo ? '\nDemo: simulated AI services are sending usage; globex will hit its hard cap; acme, globex and umbrella send through the SDK, initech over HTTP (POST /v1/events). (--no-demo to turn off)\n' : ''}`);
  const stopDemo = config.demo
    ? startDemo({
        kinesis: createKinesisClient({ endpoint: status.kinesisEndpoint, region: LOCAL_REGION }),
        streamName: status.streamName,
        apiUrl: status.apiUrl,
        adminToken: status.adminToken,
        print,
      })
    : async () => {};
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    print(`\n${signal}: stopping…`);
    await stopDemo();
    await runtime.stop();
    print('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof LocalConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`tollgate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
