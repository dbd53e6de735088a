/**
 * The local runtime's status file, `<TOLLGATE_DATA_DIR or .tollgate>/status.json`, written by
 * `npm start`: where its API, stream and tables are, and its admin token.
 */
import { join } from 'node:path';
import * as z from 'zod';
import { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';

const statusFileSchema = z.object({
  apiUrl: z.string().optional(),
  kinesisEndpoint: z.string().optional(),
  streamName: z.string().optional(),
  dynamodbEndpoint: z.string().optional(),
  adminToken: z.string().optional(),
  region: z.string().optional(),
  tables: z.record(z.string(), z.string()).optional(),
  envelopeDedup: z.boolean().optional(),
});

export type StatusFile = z.infer<typeof statusFileSchema>;

/** The local runtime's data directory: `$TOLLGATE_DATA_DIR`, else `.tollgate`. */
export function dataDirOf(io: Pick<CliIo, 'env'>): string {
  return io.env.TOLLGATE_DATA_DIR === undefined || io.env.TOLLGATE_DATA_DIR === ''
    ? '.tollgate'
    : io.env.TOLLGATE_DATA_DIR;
}

export function statusFilePath(io: Pick<CliIo, 'env'>): string {
  return join(dataDirOf(io), 'status.json');
}

/** The status file, or `undefined` when there is none; a malformed file is an error. */
export async function readStatusFile(io: Pick<CliIo, 'env' | 'readFile'>): Promise<StatusFile | undefined> {
  const path = statusFilePath(io);
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError('invalid_input', `cannot read ${path}: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      'invalid_input',
      `${path} is not valid JSON; restart the local runtime (npm start)`,
      undefined,
      {
        cause: error,
      },
    );
  }
  const result = statusFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CliError('invalid_input', `${path}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return result.data;
}
