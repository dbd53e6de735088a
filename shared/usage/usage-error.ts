export type UsageErrorCode =
  /** A required parameter is absent. */
  | 'missing_parameter'
  /** A parameter is malformed (not a time, not a dimension of the meter, …). */
  | 'invalid_parameter'
  /** `to` is not after `from`. */
  | 'invalid_range'
  /** The range is longer than `MAX_RANGE_DAYS`. */
  | 'range_too_large'
  /** The answer would have more rows than `MAX_USAGE_ROWS`. */
  | 'too_many_rows'
  /** The catalog has no meter with that key. */
  | 'unknown_meter';

/** A usage query that cannot be answered as asked; `field` names the parameter to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: UsageErrorCode;
  readonly field: string;

  constructor(code: UsageErrorCode, field: string, message: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}
