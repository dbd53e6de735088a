import { decodePDFRawStream, PDFArray, PDFDocument, PDFRawStream, type PDFStream } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { PdfLibInvoiceRenderer } from '../../../functions/adapters/documents/pdf-lib-invoice-renderer.js';
import {
  aDraftInvoice,
  anAdjustmentLine,
  anInvoice,
  aUsageLine,
  aVoidInvoice,
  INVOICE_FINALIZED_AT,
} from '../../factories/invoices.js';

const renderer = new PdfLibInvoiceRenderer({ issuer: 'Initech AI Ltd' });

const load = (bytes: Uint8Array) => PDFDocument.load(bytes, { updateMetadata: false });

/** The text runs each page draws, in drawing order (pdf-lib writes each run as `<hex> Tj`). */
async function pageTexts(bytes: Uint8Array): Promise<string[][]> {
  const pdf = await load(bytes);
  const winAnsi = new TextDecoder('windows-1252');
  return pdf.getPages().map((page) => {
    const contents = page.node.Contents();
    const streams =
      contents instanceof PDFArray ? contents.asArray().map((ref) => pdf.context.lookup(ref)) : [contents];
    const source = streams
      .map((stream) => {
        const bytes =
          stream instanceof PDFRawStream
            ? decodePDFRawStream(stream).decode()
            : (stream as PDFStream).getContents();
        return Buffer.from(bytes).toString('latin1');
      })
      .join('\n');
    return [...source.matchAll(/<([0-9A-Fa-f]*)> Tj/g)].map((match) =>
      winAnsi.decode(Buffer.from(match[1] ?? '', 'hex')),
    );
  });
}

const manyLines = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    aUsageLine({ key: `tokens:m${i}`, description: `Tokens of model m${i}`, group: { model: `m${i}` } }),
  );

describe('PdfLibInvoiceRenderer', () => {
  it('produces a one-page A4 PDF with the invoice title and Tollgate as author and producer', async () => {
    const bytes = await renderer.render(anInvoice());
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const pdf = await load(bytes);
    expect(pdf.getPageCount()).toBe(1);
    const size = pdf.getPage(0).getSize();
    expect([Math.round(size.width), Math.round(size.height)]).toEqual([595, 842]);
    expect(pdf.getTitle()).toBe('Invoice acme-000004');
    expect(pdf.getAuthor()).toBe('Tollgate');
    expect(pdf.getProducer()).toBe('Tollgate');
    expect(pdf.getSubject()).toBe('acme, 2026-11-01 to 2026-11-30');
  });

  it('dates the document at finalization, or at rating for a draft, never at the wall clock', async () => {
    const finalized = await load(await renderer.render(anInvoice()));
    expect(finalized.getCreationDate()?.toISOString()).toBe(INVOICE_FINALIZED_AT);
    expect(finalized.getModificationDate()?.toISOString()).toBe(INVOICE_FINALIZED_AT);
    const draftInvoice = aDraftInvoice();
    const draft = await load(await renderer.render(draftInvoice));
    expect(draft.getCreationDate()?.toISOString()).toBe(draftInvoice.ratedAt);
    expect(draft.getModificationDate()?.toISOString()).toBe(draftInvoice.ratedAt);
    expect(draft.getTitle()).toBe(`Invoice ${draftInvoice.id}`);
  });

  it('renders the same invoice to identical bytes', async () => {
    const first = await renderer.render(anInvoice());
    const second = await new PdfLibInvoiceRenderer({ issuer: 'Initech AI Ltd' }).render(anInvoice());
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    const other = await renderer.render(anInvoice({ total: '45.65' }));
    expect(Buffer.from(other).equals(Buffer.from(first))).toBe(false);
  });

  it('draws the parties, period, lines with grouped numbers, totals and footer', async () => {
    const invoice = anInvoice();
    const [page = []] = await pageTexts(await renderer.render(invoice));
    expect(page).toEqual(
      expect.arrayContaining([
        'Initech AI Ltd',
        'Invoice acme-000004',
        'acme',
        'USD',
        '2026-11-01 to 2026-11-30 (UTC)',
        'Finalized',
        '2026-12-03 09:15 UTC',
        'Input tokens',
        'model: gpt-4o',
        '1,234,567',
        'USD 0.0000025',
        'USD 3.09',
        'Subtotal',
        'USD 55.64',
        'Credit: Welcome credit',
        'USD -10.00',
        'Total due',
        'USD 45.64',
        'Page 1 of 1',
      ]),
    );
    expect(page.some((text) => text.startsWith(`Invoice id ${invoice.id}`))).toBe(true);
    expect(page.some((text) => text.includes('DRAFT') || text.includes('VOID'))).toBe(false);
  });

  it('puts the labelled adjustment lines after the period lines', async () => {
    const invoice = anInvoice();
    const lines = [anAdjustmentLine(), ...invoice.lines.filter((line) => line.kind !== 'adjustment')];
    const [page = []] = await pageTexts(await renderer.render(anInvoice({ lines })));
    const at = (text: string) => page.indexOf(text);
    expect(at('Output tokens')).toBeGreaterThan(-1);
    expect(at('Adjustments for earlier periods')).toBeGreaterThan(at('Output tokens'));
    expect(at('ADJUSTMENT')).toBeGreaterThan(at('Adjustments for earlier periods'));
    expect(at('Input tokens (late usage)')).toBeGreaterThan(at('ADJUSTMENT'));
    expect(page).toContain('Late usage for invoice acme-000003 (2026-10-01 to 2026-10-31)');
  });

  it('shows the draft and void banners', async () => {
    const [draft = []] = await pageTexts(await renderer.render(aDraftInvoice()));
    expect(draft).toContain('DRAFT — not final');
    const [voided = []] = await pageTexts(await renderer.render(aVoidInvoice('Billed on the wrong plan')));
    expect(voided).toContain('VOID: Billed on the wrong plan');
  });

  it('pages 200 lines onto more pages, repeating the header row, losing no line', async () => {
    const few = await load(await renderer.render(anInvoice({ lines: manyLines(3) })));
    const bytes = await renderer.render(
      anInvoice({ lines: manyLines(200), warnings: ['Check the m7 price'] }),
    );
    const pages = await pageTexts(bytes);
    expect(few.getPageCount()).toBe(1);
    expect(pages.length).toBeGreaterThan(4);
    pages.forEach((page, i) => {
      if (page.some((text) => text.startsWith('Tokens of model '))) expect(page).toContain('Description');
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });
    expect(pages.filter((page) => page.includes('Description')).length).toBeGreaterThan(4);
    const drawn = pages.flat().filter((text) => text.startsWith('Tokens of model '));
    expect(drawn).toEqual(manyLines(200).map((line) => line.description));
    const last = pages.at(-1) ?? [];
    expect(last).toContain('Total due');
    expect(last).toContain('Check the m7 price');
  });

  it('wraps a long description over several lines of its column', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
    const invoice = anInvoice({ lines: [aUsageLine({ description: words.join(' ') })] });
    const [page = []] = await pageTexts(await renderer.render(invoice));
    const wrapped = page.filter((text) => text.startsWith('word'));
    expect(wrapped.length).toBeGreaterThan(3);
    expect(wrapped.join(' ')).toBe(words.join(' '));
  });

  it('draws text outside the fonts’ encoding as stand-ins instead of throwing', async () => {
    const invoice = anInvoice({
      tenant: '株式会社 Ünïcode',
      lines: [aUsageLine({ description: 'Tokens 😀 \u2212 naïve…\ttab ‐ end' })],
      warnings: ['Ω price missing — billed at zero'],
    });
    const bytes = await renderer.render(invoice);
    const [page = []] = await pageTexts(bytes);
    expect(page).toContain('???? Ünïcode');
    expect(page).toContain('Tokens ? - naïve… tab - end');
    expect(page).toContain('? price missing — billed at zero');
    expect((await load(bytes)).getTitle()).toBe('Invoice 株式会社 Ünïcode-000004');
  });
});
