/** Entry of the `tollgate` CLI (`bin/tollgate.mjs`, `npm run tollgate -- …`). */
import { nodeIo } from './cli-io.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), nodeIo());
