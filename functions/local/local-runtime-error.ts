/** Errors of the local runtime (emulators, provisioning, the event source poller). */
export type LocalRuntimeErrorCode =
  | 'java_missing'
  | 'java_too_old'
  | 'emulator_exited'
  | 'port_in_use'
  | 'emulator_not_ready'
  | 'table_schema_mismatch'
  | 'resource_not_active'
  | 'poller_stopped'
  | 'drain_timeout';

export class LocalRuntimeError extends Error {
  override readonly name = 'LocalRuntimeError';
  readonly code: LocalRuntimeErrorCode;

  constructor(code: LocalRuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
