import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../../functions/adapters/blob/file-blob-store.js';
import {
  BlobInvoiceDocumentStore,
  DOCUMENT_CONTENT_TYPES,
  invoiceDocumentKey,
} from '../../../functions/adapters/documents/blob-invoice-document-store.js';
import type { DocumentFormat } from '../../../shared/invoicing/ports.js';
import { renderInvoiceHtml } from '../../../shared/invoicing/render-invoice-html.js';
import { renderInvoiceJson } from '../../../shared/invoicing/render-invoice-json.js';
import { anInvoice } from '../../factories/invoices.js';

let root: string;
let store: BlobInvoiceDocumentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tollgate-documents-'));
  store = new BlobInvoiceDocumentStore(new FileBlobStore(root));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('BlobInvoiceDocumentStore', () => {
  it('stores each format under invoices/{id}/invoice.{format} and returns the key', async () => {
    const invoice = anInvoice();
    const documents: Record<DocumentFormat, Uint8Array> = {
      json: new TextEncoder().encode(renderInvoiceJson(invoice)),
      html: new TextEncoder().encode(renderInvoiceHtml(invoice)),
      pdf: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x00, 0xff]),
    };
    for (const [format, bytes] of Object.entries(documents) as [DocumentFormat, Uint8Array][]) {
      const key = await store.put(invoice.id, format, bytes);
      expect(key).toBe(`invoices/${invoice.id}/invoice.${format}`);
      expect(await store.get(key)).toEqual(bytes);
      expect(new Uint8Array(await readFile(join(root, key)))).toEqual(bytes);
    }
  });

  it('replaces a document stored again under the same id and format', async () => {
    const id = anInvoice().id;
    await store.put(id, 'html', new TextEncoder().encode('first'));
    const key = await store.put(id, 'html', new TextEncoder().encode('second'));
    expect(new TextDecoder().decode(await store.get(key))).toBe('second');
  });

  it('answers undefined for a key with nothing stored', async () => {
    expect(await store.get(invoiceDocumentKey(anInvoice().id, 'pdf'))).toBeUndefined();
  });

  it('refuses an invoice id that would make a path of the key', async () => {
    for (const id of ['../etc', 'in_a/b', '', 'in_a\\b']) {
      await expect(store.put(id, 'json', new Uint8Array([1]))).rejects.toThrow(RangeError);
    }
  });

  it('names the media type of each format', () => {
    expect(DOCUMENT_CONTENT_TYPES).toEqual({
      json: 'application/json',
      html: 'text/html; charset=utf-8',
      pdf: 'application/pdf',
    });
  });
});
