import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Invoice } from '../../../shared/invoicing/invoice.js';
import type { InvoiceEventPublisher } from '../../../shared/invoicing/ports.js';

export const INVOICE_FINALIZED_MESSAGE_TYPE = 'invoice.finalized';

/**
 * The JSON message body of `invoice.finalized`. Throws `RangeError` for an invoice without a
 * number or finalization time (a draft or a void invoice has nothing to announce).
 */
export function invoiceFinalizedMessage(invoice: Invoice): string {
  if (invoice.status !== 'finalized' || invoice.number === undefined || invoice.finalizedAt === undefined) {
    throw new RangeError(`invoice ${invoice.id} is ${invoice.status}, not a numbered finalized invoice`);
  }
  return JSON.stringify({
    type: INVOICE_FINALIZED_MESSAGE_TYPE,
    version: 1,
    invoiceId: invoice.id,
    number: invoice.number,
    tenant: invoice.tenant,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    credits: invoice.credits,
    total: invoice.total,
    finalizedAt: invoice.finalizedAt,
  });
}

/**
 * Publishes `invoice.finalized` to the invoices topic (a standard topic: no message group).
 * Delivery is at least once; the message carries the invoice id for subscribers to dedupe on.
 */
export class SnsInvoiceEventPublisher implements InvoiceEventPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async finalized(invoice: Invoice): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: invoiceFinalizedMessage(invoice),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: INVOICE_FINALIZED_MESSAGE_TYPE },
          tenant: { DataType: 'String', StringValue: invoice.tenant },
        },
      }),
    );
  }
}
