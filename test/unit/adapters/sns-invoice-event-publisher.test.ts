import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleInvoiceEventPublisher } from '../../../functions/adapters/local/console-invoice-event-publisher.js';
import { SnsInvoiceEventPublisher } from '../../../functions/adapters/sns/sns-invoice-event-publisher.js';
import { aDraftInvoice, anInvoice, aVoidInvoice } from '../../factories/invoices.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tollgate-invoices';
const sns = mockClient(SNSClient);
const client = new SNSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});

const expectedMessage = (invoice = anInvoice()) => ({
  type: 'invoice.finalized',
  version: 1,
  invoiceId: invoice.id,
  number: 'acme-000004',
  tenant: 'acme',
  periodStart: '2026-11-01T00:00:00.000Z',
  periodEnd: '2026-12-01T00:00:00.000Z',
  currency: 'USD',
  subtotal: '55.64',
  credits: '10.00',
  total: '45.64',
  finalizedAt: '2026-12-03T09:15:00.000Z',
});

beforeEach(() => sns.reset());

describe('SnsInvoiceEventPublisher', () => {
  it('publishes invoice.finalized with the invoice summary and type and tenant attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const invoice = anInvoice();
    await new SnsInvoiceEventPublisher(client, TOPIC).finalized(invoice);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(JSON.parse(input?.Message ?? '')).toEqual(expectedMessage(invoice));
    expect(input?.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'invoice.finalized' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    });
    expect(input?.MessageGroupId).toBeUndefined();
    expect(input?.MessageDeduplicationId).toBeUndefined();
  });

  it('refuses a draft or a void invoice without publishing', async () => {
    const publisher = new SnsInvoiceEventPublisher(client, TOPIC);
    await expect(publisher.finalized(aDraftInvoice())).rejects.toThrow(RangeError);
    await expect(publisher.finalized(aVoidInvoice())).rejects.toThrow(/is void/);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('rejects when SNS refuses the message', async () => {
    sns.on(PublishCommand).rejects(new Error('AuthorizationError'));
    await expect(new SnsInvoiceEventPublisher(client, TOPIC).finalized(anInvoice())).rejects.toThrow(
      'AuthorizationError',
    );
  });
});

describe('ConsoleInvoiceEventPublisher', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-invoice-events-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('appends the SNS message as a JSON line and prints a one-line summary', async () => {
    const file = join(dir, 'nested', 'invoices.jsonl');
    const printed: string[] = [];
    const publisher = new ConsoleInvoiceEventPublisher(file, (line) => printed.push(line));
    await publisher.finalized(anInvoice());
    await publisher.finalized(anInvoice({ tenant: 'globex', total: '0.00' }));
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0] ?? '')).toEqual(expectedMessage());
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({
      tenant: 'globex',
      number: 'globex-000004',
      total: '0.00',
    });
    expect(printed).toEqual([
      'invoice acme-000004 finalized: acme 2026-11-01 to 2026-11-30 total USD 45.64 (subtotal USD 55.64, credits USD 10.00)',
      'invoice globex-000004 finalized: globex 2026-11-01 to 2026-11-30 total USD 0.00 (subtotal USD 55.64, credits USD 10.00)',
    ]);
  });

  it('writes nothing for a draft', async () => {
    const file = join(dir, 'invoices.jsonl');
    const printed: string[] = [];
    await expect(
      new ConsoleInvoiceEventPublisher(file, (line) => printed.push(line)).finalized(aDraftInvoice()),
    ).rejects.toThrow(RangeError);
    await expect(readFile(file, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(printed).toEqual([]);
  });
});
