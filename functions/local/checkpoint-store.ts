/**
 * Where the local event source poller keeps its per-shard positions, so that a restart resumes
 * where it left off (the role of the event source mapping's internal checkpoint on AWS).
 *
 * Positions are grouped by a scope naming one incarnation of a stream (its ARN and creation
 * time): a stream deleted and created again under the same name starts from scratch instead of
 * resuming at sequence numbers that no longer exist.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type ShardCheckpoint =
  /** Everything up to and including this sequence number is done. */
  | { readonly kind: 'after-sequence'; readonly sequenceNumber: string }
  /** Nothing done yet; start at this time (a pinned LATEST, so a restart misses nothing). */
  | { readonly kind: 'at-timestamp'; readonly timestampMs: number }
  /** The shard is closed and fully processed; its children may start. */
  | { readonly kind: 'shard-end' };

export interface CheckpointStore {
  /** All shard positions saved for `scope`, by shard id. */
  load(scope: string): Promise<ReadonlyMap<string, ShardCheckpoint>>;
  save(scope: string, shardId: string, checkpoint: ShardCheckpoint): Promise<void>;
}

export class InMemoryCheckpointStore implements CheckpointStore {
  private readonly scopes = new Map<string, Map<string, ShardCheckpoint>>();

  async load(scope: string): Promise<ReadonlyMap<string, ShardCheckpoint>> {
    return new Map(this.scopes.get(scope));
  }

  async save(scope: string, shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    const shards = this.scopes.get(scope) ?? new Map<string, ShardCheckpoint>();
    shards.set(shardId, checkpoint);
    this.scopes.set(scope, shards);
  }
}

type CheckpointFile = Record<string, Record<string, ShardCheckpoint>>;

/**
 * A JSON file rewritten atomically (write to a temporary file, then rename) on every save; saves
 * are serialised, so concurrent shards never interleave partial writes.
 */
export class FileCheckpointStore implements CheckpointStore {
  private data: CheckpointFile | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly filePath: string) {}

  async load(scope: string): Promise<ReadonlyMap<string, ShardCheckpoint>> {
    const data = await this.read();
    return new Map(Object.entries(data[scope] ?? {}));
  }

  async save(scope: string, shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    const data = await this.read();
    data[scope] = { ...data[scope], [shardId]: checkpoint };
    const snapshot = `${JSON.stringify(data, null, 2)}\n`;
    const write = this.writes.then(async () => {
      await mkdir(dirname(this.filePath), { recursive: true });
      const temporary = `${this.filePath}.${process.pid}.tmp`;
      await writeFile(temporary, snapshot, 'utf8');
      await rename(temporary, this.filePath);
    });
    this.writes = write.catch(() => undefined);
    await write;
  }

  private async read(): Promise<CheckpointFile> {
    if (this.data === undefined) {
      try {
        this.data = JSON.parse(await readFile(this.filePath, 'utf8')) as CheckpointFile;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw error;
        }
        this.data = {};
      }
    }
    return this.data;
  }
}

/**
 * A file store under `<dataDir>/checkpoints/<consumerName>.json` when a data directory is given,
 * an in-memory store otherwise.
 */
export function createCheckpointStore(options: {
  readonly dataDir?: string;
  readonly consumerName: string;
}): CheckpointStore {
  return options.dataDir === undefined
    ? new InMemoryCheckpointStore()
    : new FileCheckpointStore(join(options.dataDir, 'checkpoints', `${options.consumerName}.json`));
}
