/**
 * Draining usage clients when the process is asked to stop. One listener per signal serves
 * every client: on SIGTERM or SIGINT it closes them all (bounded by the longest drain timeout),
 * then, if no one else listens for that signal, re-raises it so the process ends as it would
 * have. `beforeExit` (the event loop is empty, e.g. a script's last line ran) flushes what is
 * buffered, since the linger timer does not keep a process alive.
 */

export interface Drainable {
  flush(): Promise<void>;
  close(): Promise<unknown>;
  readonly isClosed: boolean;
}

const clients = new Map<Drainable, number>();
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
let installed = false;
let draining = false;

function longestTimeout(): number {
  let longest = 0;
  for (const timeout of clients.values()) longest = Math.max(longest, timeout);
  return longest;
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (draining) return;
  draining = true;
  const all = [...clients.keys()];
  const timeoutMs = longestTimeout();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(all.map((client) => client.close())),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        process.stderr.write(`tollgate usage client: drain on ${signal} timed out after ${timeoutMs} ms\n`);
        resolve();
      }, timeoutMs);
    }),
  ]);
  if (timer !== undefined) clearTimeout(timer);
  uninstall();
  draining = false;
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function onBeforeExit(): void {
  for (const client of clients.keys()) {
    if (!client.isClosed) void client.flush();
  }
}

const signalListener = (signal: NodeJS.Signals) => void onSignal(signal);

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, signalListener);
  process.on('beforeExit', onBeforeExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const signal of SIGNALS) process.off(signal, signalListener);
  process.off('beforeExit', onBeforeExit);
}

/** Registers a client; returns the function that unregisters it. */
export function registerExitDrain(client: Drainable, timeoutMs: number): () => void {
  clients.set(client, timeoutMs);
  install();
  return () => {
    clients.delete(client);
    if (clients.size === 0 && !draining) uninstall();
  };
}
