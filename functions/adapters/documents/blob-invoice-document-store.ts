import type { DocumentFormat, InvoiceDocumentStore } from '../../../shared/invoicing/ports.js';
import type { BlobStore } from '../blob/blob-store.js';

/**
 * The media type of each document format. `BlobStore` keeps bytes only, so nothing stores these
 * with the blob: whoever serves a document (the API, a presigned URL) sets the header from here.
 */
export const DOCUMENT_CONTENT_TYPES: Readonly<Record<DocumentFormat, string>> = {
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** `invoices/{invoiceId}/invoice.{format}`; throws `RangeError` for an id that is not a plain token. */
export function invoiceDocumentKey(invoiceId: string, format: DocumentFormat): string {
  if (!SAFE_ID.test(invoiceId))
    throw new RangeError(`invoice id is not a plain token: ${JSON.stringify(invoiceId)}`);
  return `invoices/${invoiceId}/invoice.${format}`;
}

/** Invoice documents in a blob store (S3 in AWS, a directory locally), one key per format. */
export class BlobInvoiceDocumentStore implements InvoiceDocumentStore {
  constructor(private readonly blobs: BlobStore) {}

  async put(invoiceId: string, format: DocumentFormat, bytes: Uint8Array): Promise<string> {
    const key = invoiceDocumentKey(invoiceId, format);
    await this.blobs.put(key, bytes);
    return key;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(key);
  }
}
