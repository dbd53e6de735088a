/** Errors of invoicing, each with a stable code a client can switch on. */
export type InvoicingErrorCode =
  | 'unknown_plan'
  | 'unknown_tenant'
  | 'not_billable'
  | 'invalid_period'
  | 'invoice_not_found'
  | 'invalid_state'
  | 'no_active_catalog'
  | 'currency_mismatch';

export class InvoicingError extends Error {
  override readonly name = 'InvoicingError';
  readonly code: InvoicingErrorCode;
  constructor(code: InvoicingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
