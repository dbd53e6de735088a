#!/usr/bin/env node
// The `tollgate` command: runs functions/cli/main.ts with the tsx loader, from any directory.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'functions', 'cli', 'main.ts');
const tsx = import.meta.resolve('tsx');

const result = spawnSync(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (result.error !== undefined) {
  console.error(`tollgate: cannot start node: ${result.error.message}`);
  process.exit(1);
}
if (result.signal !== null) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
