import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Invoice } from '../../../shared/invoicing/invoice.js';
import type { InvoiceEventPublisher } from '../../../shared/invoicing/ports.js';
import { formatMoney, formatServicePeriod } from '../../../shared/invoicing/render-invoice-html.js';
import { invoiceFinalizedMessage } from '../sns/sns-invoice-event-publisher.js';

/**
 * The local stand-in for the invoices SNS topic: the same JSON message, appended to
 * `invoices.jsonl` in the data directory, and a one-line summary printed.
 */
export class ConsoleInvoiceEventPublisher implements InvoiceEventPublisher {
  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void,
  ) {}

  async finalized(invoice: Invoice): Promise<void> {
    const message = invoiceFinalizedMessage(invoice);
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${message}\n`);
    const money = (amount: string) => formatMoney(amount, invoice.currency);
    this.print(
      `invoice ${invoice.number} finalized: ${invoice.tenant} ${formatServicePeriod(invoice.periodStart, invoice.periodEnd)} total ${money(invoice.total)} (subtotal ${money(invoice.subtotal)}, credits ${money(invoice.credits)})`,
    );
  }
}
