/** Exit codes: 0 done; 1 the work failed (API error, bad events, unreachable service); 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type CliErrorCode =
  /** A flag or argument is invalid or missing; the message names it. */
  | 'invalid_usage'
  /** The API answered with an error. */
  | 'api_error'
  /** The API or stream could not be reached. */
  | 'unreachable'
  /** Input events or a catalog file are invalid. */
  | 'invalid_input'
  /** Records could not be put to the stream after retries. */
  | 'put_failed'
  /** Quarantined entries could not be re-driven. */
  | 'redrive_failed'
  /** Given-up batches could not be replayed (range expired, metering kept failing). */
  | 'replay_failed';

export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode: number = code === 'invalid_usage' ? EXIT_USAGE : EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A bad flag or argument; `name` is how the user wrote it (`--limit`, `<tenant>`). */
export function usageError(name: string, message: string): CliError {
  return new CliError('invalid_usage', `${name}: ${message}`);
}
