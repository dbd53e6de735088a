import { type Color, PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import type { Invoice } from '../../../shared/invoicing/invoice.js';
import type { InvoicePdfRenderer } from '../../../shared/invoicing/ports.js';
import {
  formatServicePeriod,
  type InvoiceRowView,
  type InvoiceSectionView,
  type InvoiceView,
  presentInvoice,
  type RenderInvoiceOptions,
} from '../../../shared/invoicing/render-invoice-html.js';

const PAGE: [number, number] = [595.28, 841.89]; // A4 in points
const MARGIN = 50;
const TOP = PAGE[1] - MARGIN;
const BOTTOM = MARGIN + 20; // the footer sits below this
const LEFT = MARGIN;
const RIGHT = PAGE[0] - MARGIN;
const PAD = 4;
/** Right edges of the numeric columns; the description takes the rest. */
const COLUMNS = { quantity: RIGHT - 180, unitPrice: RIGHT - 90, amount: RIGHT } as const;
const NUMBER_WIDTH = 86;
const DESCRIPTION_WIDTH = COLUMNS.quantity - NUMBER_WIDTH - LEFT - 2 * PAD;
const MAX_DESCRIPTION_LINES = 30;

const INK = rgb(0.1, 0.1, 0.1);
const GREY = rgb(0.42, 0.42, 0.42);
const RULE = rgb(0.8, 0.8, 0.8);
const BANNERS = {
  draft: { fill: rgb(1, 0.97, 0.86), ink: rgb(0.48, 0.36, 0) },
  void: { fill: rgb(0.99, 0.93, 0.93), ink: rgb(0.55, 0, 0) },
} as const;

/** Stand-ins for characters the standard fonts' WinAnsi encoding cannot draw. */
const REPLACEMENTS: Readonly<Record<string, string>> = {
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2212': '-',
  '\u2015': '-',
  '\u2032': "'",
  '\u2033': '"',
  '\u00a0': ' ',
  '\u2007': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
  '\u2026': '...',
  '\u2014': '-',
  '\u2013': '-',
};

interface Style {
  readonly font: PDFFont;
  readonly size: number;
  readonly color?: Color;
}

/** Draws an invoice's view on A4 pages with pdf-lib's standard Helvetica fonts. */
export class PdfLibInvoiceRenderer implements InvoicePdfRenderer {
  constructor(private readonly options: RenderInvoiceOptions = {}) {}

  async render(invoice: Invoice): Promise<Uint8Array> {
    const pdf = await PDFDocument.create({ updateMetadata: false });
    setMetadata(pdf, invoice);
    const regular = await pdf.embedFont(StandardFonts.Helvetica);
    const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
    const view = presentInvoice(invoice, this.options);
    const layout = new Layout(pdf, regular, bold, `${view.title} (continued)`);
    drawHeader(layout, view);
    for (const section of view.sections) drawSection(layout, section);
    drawTotals(layout, view);
    drawWarnings(layout, view.warnings);
    layout.drawFooters(view.footer);
    return pdf.save();
  }
}

/** Metadata from the invoice alone (never the clock), so an invoice always renders the same bytes. */
function setMetadata(pdf: PDFDocument, invoice: Invoice): void {
  const stamp = [invoice.finalizedAt, invoice.ratedAt, invoice.createdAt]
    .map((iso) => (iso === undefined ? Number.NaN : Date.parse(iso)))
    .find((ms) => !Number.isNaN(ms));
  const date = new Date(stamp ?? 0);
  pdf.setTitle(`Invoice ${invoice.number ?? invoice.id}`);
  pdf.setSubject(`${invoice.tenant}, ${formatServicePeriod(invoice.periodStart, invoice.periodEnd)}`);
  pdf.setAuthor('Tollgate');
  pdf.setCreator('Tollgate');
  pdf.setProducer('Tollgate');
  pdf.setLanguage('en');
  pdf.setCreationDate(date);
  pdf.setModificationDate(date);
}

/** A cursor down the pages: adds a page when the next block does not fit. */
class Layout {
  page: PDFPage;
  y = TOP;
  /** Drawn at the top of each new page while a table runs (its header row). */
  onNewPage: (() => void) | undefined;
  readonly #supported: ReadonlySet<number>;

  constructor(
    readonly pdf: PDFDocument,
    readonly regular: PDFFont,
    readonly bold: PDFFont,
    private readonly continued: string,
  ) {
    this.page = pdf.addPage(PAGE);
    this.#supported = new Set(regular.getCharacterSet());
  }

  /** Makes room for `height` points, on a new page when this one is full. */
  ensure(height: number): void {
    if (this.y - height >= BOTTOM) return;
    this.page = this.pdf.addPage(PAGE);
    this.y = TOP;
    this.draw(this.continued, LEFT, this.y - 9, { font: this.regular, size: 9, color: GREY });
    this.y -= 22;
    this.onNewPage?.();
  }

  /** The text with what the font cannot encode replaced (`—` → `-`, `…` → `...`, others `?`). */
  sanitize(text: string): string {
    let out = '';
    for (const char of text) {
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += ' ';
      else if (this.#supported.has(code)) out += char;
      else out += REPLACEMENTS[char] ?? '?';
    }
    return out;
  }

  width(text: string, style: Style): number {
    return style.font.widthOfTextAtSize(this.sanitize(text), style.size);
  }

  draw(text: string, x: number, y: number, style: Style): void {
    this.page.drawText(this.sanitize(text), {
      x,
      y,
      font: style.font,
      size: style.size,
      color: style.color ?? INK,
    });
  }

  /** Draws lines of text from baseline `y` down, `leading` points apart. */
  drawLines(lines: readonly string[], x: number, y: number, leading: number, style: Style): void {
    for (const [i, line] of lines.entries()) this.draw(line, x, y - i * leading, style);
  }

  /** Draws `text` ending at `right`, shrunk to fit `maxWidth` when too wide. */
  drawRight(text: string, right: number, y: number, style: Style, maxWidth = NUMBER_WIDTH): void {
    const width = this.width(text, style);
    const size = width > maxWidth ? (style.size * maxWidth) / width : style.size;
    this.draw(text, right - Math.min(width, maxWidth), y, { ...style, size });
  }

  /** Greedy word wrap to `maxWidth`; a word wider than a line is broken between characters. */
  wrap(text: string, style: Style, maxWidth: number): string[] {
    const lines: string[] = [];
    let line = '';
    for (const word of this.sanitize(text).split(/ +/)) {
      const candidate = line === '' ? word : `${line} ${word}`;
      if (this.width(candidate, style) <= maxWidth) {
        line = candidate;
        continue;
      }
      if (line !== '') lines.push(line);
      line = '';
      for (const char of word) {
        if (line !== '' && this.width(line + char, style) > maxWidth) {
          lines.push(line);
          line = '';
        }
        line += char;
      }
    }
    if (line !== '' || lines.length === 0) lines.push(line);
    return lines;
  }

  rule(y: number, thickness = 0.5, color: Color = RULE): void {
    this.page.drawLine({ start: { x: LEFT, y }, end: { x: RIGHT, y }, thickness, color });
  }

  drawFooters(footer: string): void {
    const pages = this.pdf.getPages();
    const style = { font: this.regular, size: 7.5, color: GREY };
    pages.forEach((page, index) => {
      this.page = page;
      this.rule(BOTTOM - 6);
      const label = `Page ${index + 1} of ${pages.length}`;
      const text = this.wrap(footer, style, RIGHT - LEFT - 80)[0] ?? '';
      this.draw(text, LEFT, MARGIN, style);
      this.drawRight(label, RIGHT, MARGIN, style);
    });
  }
}

function drawHeader(layout: Layout, view: InvoiceView): void {
  const { regular, bold } = layout;
  if (view.issuer !== undefined) {
    for (const line of layout.wrap(view.issuer, { font: regular, size: 10 }, RIGHT - LEFT)) {
      layout.draw(line, LEFT, layout.y - 10, { font: regular, size: 10, color: GREY });
      layout.y -= 13;
    }
    layout.y -= 4;
  }
  layout.draw(view.title, LEFT, layout.y - 20, { font: bold, size: 20 });
  layout.y -= 34;
  if (view.banner !== undefined) {
    const colors = BANNERS[view.banner.kind];
    const style = { font: bold, size: 12, color: colors.ink };
    const lines = layout.wrap(view.banner.text, style, RIGHT - LEFT - 20);
    const height = lines.length * 15 + 12;
    layout.page.drawRectangle({
      x: LEFT,
      y: layout.y - height,
      width: RIGHT - LEFT,
      height,
      color: colors.fill,
      borderColor: colors.ink,
      borderWidth: 1.5,
    });
    layout.drawLines(lines, LEFT + 10, layout.y - 18, 15, style);
    layout.y -= height + 14;
  }
  const value = { font: regular, size: 10 };
  for (const fact of view.facts) {
    const lines = layout.wrap(fact.value, value, RIGHT - LEFT - 110);
    layout.ensure(lines.length * 13);
    layout.draw(fact.label, LEFT, layout.y - 10, { font: regular, size: 10, color: GREY });
    layout.drawLines(lines, LEFT + 110, layout.y - 10, 13, value);
    layout.y -= lines.length * 13;
  }
  layout.y -= 18;
}

function drawTableHeader(layout: Layout): void {
  const style = { font: layout.bold, size: 8.5 };
  layout.page.drawRectangle({
    x: LEFT,
    y: layout.y - 16,
    width: RIGHT - LEFT,
    height: 16,
    color: rgb(0.95, 0.95, 0.95),
  });
  layout.draw('Description', LEFT + PAD, layout.y - 11, style);
  layout.drawRight('Quantity', COLUMNS.quantity - PAD, layout.y - 11, style);
  layout.drawRight('Unit price', COLUMNS.unitPrice - PAD, layout.y - 11, style);
  layout.drawRight('Amount', COLUMNS.amount - PAD, layout.y - 11, style);
  layout.y -= 18;
}

interface RowLayout {
  readonly label?: string;
  readonly description: string[];
  readonly details: string[];
  readonly height: number;
}

function layoutRow(layout: Layout, row: InvoiceRowView): RowLayout {
  let description = layout.wrap(row.description, { font: layout.regular, size: 9 }, DESCRIPTION_WIDTH);
  if (description.length > MAX_DESCRIPTION_LINES) {
    description = [...description.slice(0, MAX_DESCRIPTION_LINES - 1), '...'];
  }
  const details = row.details.flatMap((d) =>
    layout.wrap(d, { font: layout.regular, size: 7.5 }, DESCRIPTION_WIDTH),
  );
  const height =
    (row.label === undefined ? 0 : 10) + description.length * 11 + details.length * 9.5 + 2 * PAD;
  return { ...(row.label === undefined ? {} : { label: row.label }), description, details, height };
}

function drawRow(layout: Layout, row: InvoiceRowView, laid: RowLayout): void {
  layout.ensure(laid.height);
  let y = layout.y - PAD;
  if (laid.label !== undefined) {
    layout.draw(laid.label.toUpperCase(), LEFT + PAD, y - 7, {
      font: layout.bold,
      size: 6.5,
      color: rgb(0.48, 0.3, 0),
    });
    y -= 10;
  }
  const number = { font: layout.regular, size: 9 };
  layout.drawRight(row.quantity, COLUMNS.quantity - PAD, y - 8, number);
  layout.drawRight(row.unitPrice, COLUMNS.unitPrice - PAD, y - 8, number);
  layout.drawRight(row.amount, COLUMNS.amount - PAD, y - 8, number);
  for (const line of laid.description) {
    layout.draw(line, LEFT + PAD, y - 8, number);
    y -= 11;
  }
  for (const line of laid.details) {
    layout.draw(line, LEFT + PAD, y - 7, { font: layout.regular, size: 7.5, color: GREY });
    y -= 9.5;
  }
  layout.y -= laid.height;
  layout.rule(layout.y);
}

function drawSection(layout: Layout, section: InvoiceSectionView): void {
  const rows = section.rows.map((row) => layoutRow(layout, row));
  layout.ensure(22 + 18 + (rows[0]?.height ?? 16)); // the title never ends a page alone
  layout.draw(section.title, LEFT, layout.y - 12, { font: layout.bold, size: 11 });
  layout.y -= 18;
  layout.onNewPage = () => drawTableHeader(layout);
  drawTableHeader(layout);
  if (rows.length === 0) {
    layout.draw('No charges.', LEFT + PAD, layout.y - 11, { font: layout.regular, size: 9, color: GREY });
    layout.y -= 16;
  }
  section.rows.forEach((row, i) => {
    const laid = rows[i];
    if (laid !== undefined) drawRow(layout, row, laid);
  });
  layout.onNewPage = undefined;
  layout.y -= 14;
}

function drawTotals(layout: Layout, view: InvoiceView): void {
  layout.ensure(view.totals.length * 15 + 10);
  for (const total of view.totals) {
    const emphasis = total.kind === 'total';
    const style = { font: emphasis ? layout.bold : layout.regular, size: emphasis ? 11 : 9.5 };
    if (emphasis) {
      layout.y -= 3;
      layout.page.drawLine({
        start: { x: RIGHT - 260, y: layout.y },
        end: { x: RIGHT, y: layout.y },
        thickness: 1,
        color: INK,
      });
    }
    layout.drawRight(total.label, RIGHT - 110, layout.y - 11, style, 150);
    layout.drawRight(total.value, RIGHT - PAD, layout.y - 11, style, 100);
    layout.y -= 15;
  }
  layout.y -= 14;
}

function drawWarnings(layout: Layout, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  const style = { font: layout.regular, size: 9 };
  const items = warnings.map((w) => layout.wrap(w, style, RIGHT - LEFT - 14));
  layout.ensure(18 + (items[0]?.length ?? 0) * 11);
  layout.draw('Warnings', LEFT, layout.y - 11, { font: layout.bold, size: 10.5 });
  layout.y -= 18;
  for (const lines of items) {
    layout.ensure(lines.length * 11 + 3);
    layout.draw('-', LEFT + 2, layout.y - 9, style);
    layout.drawLines(lines, LEFT + 14, layout.y - 9, 11, style);
    layout.y -= lines.length * 11 + 3;
  }
}
