/** Errors of the pricing domain. Clients switch on `code`, never on the message. */
export type PricingErrorCode =
  /** A price component that validation would have rejected (e.g. a package size of zero). */
  | 'invalid_price'
  /** A proration whose days are outside `0 ≤ days ≤ ofDays` or whose `ofDays` is not positive. */
  | 'invalid_proration'
  /** A timestamp that is not an ISO-8601 date-time. */
  | 'invalid_timestamp';

export class PricingError extends Error {
  override readonly name = 'PricingError';
  readonly code: PricingErrorCode;

  constructor(code: PricingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
