/**
 * Child-process plumbing shared by the emulators: free ports, a process group per emulator,
 * captured output for diagnostics, readiness polling with a deadline, and a stop that escalates
 * from a polite signal to SIGKILL for the whole group.
 *
 * Each emulator runs in its own process group (`detached`), so a stop reaches anything it
 * spawned. Because a detached group does not receive the terminal's Ctrl-C, a process-wide guard
 * SIGKILLs every group still running when this process exits, and on SIGINT/SIGTERM/SIGHUP it
 * exits (running that guard) unless some other listener has taken charge of shutting down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalRuntimeError } from '../local-runtime-error.js';

/** A running emulator. */
export interface LocalEmulator {
  /** Base URL for SDK clients, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly port: number;
  /** Process id (and process group id) of the emulator. */
  readonly pid: number;
  /** The emulator's recent stdout and stderr, for diagnostics. */
  output(): string;
  /** Stops the emulator and its process group; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Finds a port that is free right now: listen on port 0, read it, close. */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  server.unref();
  server.listen(0);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') {
    throw new Error('could not read the port of a probe socket');
  }
  return address.port;
}

export interface SpawnOptions {
  /** Used in messages, e.g. `DynamoDB Local`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface StopOptions {
  /** Run before the first signal, e.g. to close keep-alive clients that hold a graceful shutdown. */
  readonly beforeSignal?: () => void;
  readonly signal: NodeJS.Signals;
  /** How long to wait after `signal` before SIGKILL. */
  readonly graceMs: number;
}

const OUTPUT_LIMIT = 64 * 1024;

/** One emulator child process in its own process group. */
export class EmulatorProcess {
  readonly name: string;
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly exit: Promise<void>;
  private captured = '';
  private exited = false;
  private stopping: Promise<void> | undefined;

  constructor(options: SpawnOptions) {
    this.name = options.name;
    this.child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exit = new Promise((resolve) => {
      const ended = (note: string) => {
        this.exited = true;
        this.capture(`\n[${this.name} ${note}]\n`);
        liveProcesses.delete(this);
        resolve();
      };
      this.child.once('exit', (code, signal) => ended(`exited: ${signal ?? `code ${code}`}`));
      // Spawn failures (e.g. ENOENT) emit 'error' and may never emit 'exit'.
      this.child.once('error', (error) => ended(`could not be started: ${error.message}`));
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk.toString('utf8')));
    if (this.child.pid === undefined) {
      throw new LocalRuntimeError(
        'emulator_exited',
        `${this.name} could not be started (${options.command})`,
      );
    }
    this.pid = this.child.pid;
    liveProcesses.add(this);
    installExitGuard();
  }

  get hasExited(): boolean {
    return this.exited;
  }

  output(): string {
    return this.captured;
  }

  /**
   * Polls `probe` (each attempt aborted after 2 s) until it succeeds. Rejects when the process
   * exits first or the deadline passes, with the emulator's output in the message.
   */
  async waitUntilReady(probe: (signal: AbortSignal) => Promise<unknown>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.exit.then(() => {
      throw new LocalRuntimeError(
        isPortClash(this.output()) ? 'port_in_use' : 'emulator_exited',
        `${this.name} exited before it was ready. Its output:\n${this.output()}`,
      );
    });
    exited.catch(() => undefined);
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.exited) {
        await exited;
      }
      if (isPortClash(this.output())) {
        // DynamoDB Local stays up after failing to bind, so do not wait for an exit.
        throw new LocalRuntimeError(
          'port_in_use',
          `${this.name} could not bind its port. Its output:\n${this.output()}`,
        );
      }
      try {
        await Promise.race([probe(AbortSignal.timeout(2_000)), exited]);
        return;
      } catch (error) {
        if (error instanceof LocalRuntimeError) {
          throw error;
        }
        lastError = error;
      }
      await sleep(100);
    }
    throw new LocalRuntimeError(
      'emulator_not_ready',
      `${this.name} was not ready after ${timeoutMs} ms (last probe error: ${describe(lastError)}). Its output:\n${this.output()}`,
      { cause: lastError },
    );
  }

  /** Signals the group, waits up to `graceMs`, then SIGKILLs the group. Idempotent. */
  stop(options: StopOptions): Promise<void> {
    this.stopping ??= this.stopOnce(options);
    return this.stopping;
  }

  private async stopOnce(options: StopOptions): Promise<void> {
    options.beforeSignal?.();
    if (this.exited) {
      return;
    }
    this.signalGroup(options.signal);
    if (await this.exitedWithin(options.graceMs)) {
      return;
    }
    this.signalGroup('SIGKILL');
    if (!(await this.exitedWithin(10_000))) {
      throw new LocalRuntimeError(
        'emulator_exited',
        `${this.name} (pid ${this.pid}) did not exit after SIGKILL`,
      );
    }
  }

  /** Kills the group at once; used by the exit guard, which cannot wait. */
  killGroupNow(): void {
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private async exitedWithin(ms: number): Promise<boolean> {
    if (this.exited) {
      return true;
    }
    const controller = new AbortController();
    const timedOut = sleep(ms, false, { signal: controller.signal }).catch(() => false);
    const result = await Promise.race([this.exit.then(() => true), timedOut]);
    controller.abort();
    return result;
  }

  private capture(text: string): void {
    this.captured = (this.captured + text).slice(-OUTPUT_LIMIT);
  }
}

/**
 * Starts an emulator on a fresh free port, retrying with another port when the one found was
 * taken in between (the probe-then-bind race).
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = await findFreePort();
    try {
      return await start(port);
    } catch (error) {
      lastError = error;
      if (!(error instanceof LocalRuntimeError && error.code === 'port_in_use')) {
        throw error;
      }
    }
  }
  throw lastError;
}

function isPortClash(output: string): boolean {
  return /EADDRINUSE|BindException|Address already in use|Failed to bind/i.test(output);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}

const liveProcesses = new Set<EmulatorProcess>();
let guardInstalled = false;

function installExitGuard(): void {
  if (guardInstalled) {
    return;
  }
  guardInstalled = true;
  process.on('exit', () => {
    for (const emulator of liveProcesses) {
      emulator.killGroupNow();
    }
  });
  const exitCodes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const [signal, code] of Object.entries(exitCodes) as [NodeJS.Signals, number][]) {
    const onSignal = () => {
      // Another listener owns shutdown (it will stop the emulators); otherwise behave like
      // Node's default for the signal, and let the exit guard kill the groups.
      if (process.listenerCount(signal) === 1 && liveProcesses.size > 0) {
        process.exit(code);
      } else if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
