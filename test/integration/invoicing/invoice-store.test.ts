import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbConfigStore } from '../../../functions/adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbCreditStore } from '../../../functions/adapters/dynamodb/dynamodb-credit-store.js';
import { DynamoDbInvoiceStore } from '../../../functions/adapters/dynamodb/dynamodb-invoice-store.js';
import { encodeKeyCursor } from '../../../functions/adapters/dynamodb/key-cursor.js';
import { type Invoice, invoiceNumberOf } from '../../../shared/invoicing/invoice.js';
import type { CreditGrant } from '../../../shared/invoicing/ports.js';
import { aDraftInvoice } from '../../factories/invoices.js';
import { createTestStack, type TestStack } from '../support/local-stack.js';

let stack: TestStack;
let invoices: DynamoDbInvoiceStore;
let credits: DynamoDbCreditStore;

beforeAll(async () => {
  stack = await createTestStack({ shardCount: 1 });
  invoices = new DynamoDbInvoiceStore(stack.dynamodb, stack.tables.invoices);
  credits = new DynamoDbCreditStore(stack.dynamodb, stack.tables.invoices);
});
afterAll(async () => {
  await stack?.dispose();
});

const FINALIZED_AT = '2026-12-03T09:15:00.000Z';

/** A tenant's November 2026 draft (or another period's, by its start). */
function draftOf(tenant: string, periodStart = '2026-11-01T00:00:00.000Z'): Invoice {
  return aDraftInvoice({ tenant, periodStart });
}

/** The draft as finalization makes it: numbered `sequence`. */
function finalizedOf(draft: Invoice, sequence: number): Invoice {
  return {
    ...draft,
    status: 'finalized',
    sequence,
    number: invoiceNumberOf(draft.tenant, sequence),
    finalizedAt: FINALIZED_AT,
    history: [...draft.history, { at: FINALIZED_AT, status: 'finalized' }],
  };
}

function voidedOf(finalized: Invoice): Invoice {
  const at = '2026-12-10T14:00:00.000Z';
  return {
    ...finalized,
    status: 'void',
    voidedAt: at,
    voidReason: 'Billed on the wrong plan',
    history: [...finalized.history, { at, status: 'void', reason: 'Billed on the wrong plan' }],
  };
}

function grantOf(tenant: string, id: string, amountMinor: bigint): CreditGrant {
  return {
    id,
    tenant,
    name: `Credit ${id}`,
    currency: 'USD',
    amountMinor,
    remainingMinor: amountMinor,
    priority: 1,
    effectiveAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

async function remainingOf(tenant: string, grantId: string): Promise<bigint | undefined> {
  return (await credits.listGrants(tenant)).find((grant) => grant.id === grantId)?.remainingMinor;
}

describe('DynamoDbInvoiceStore on DynamoDB Local', () => {
  it('creates a draft, and replaces it when the period is drafted again', async () => {
    const first = draftOf('draft-twice');
    expect(await invoices.get(first.id)).toBeUndefined();
    expect(await invoices.putDraft(first)).toBe(true);
    expect(await invoices.get(first.id)).toEqual(first);

    const again = { ...first, total: '50.00', ratedAt: '2026-12-01T07:00:00.000Z' };
    expect(await invoices.putDraft(again)).toBe(true);
    expect(await invoices.get(first.id)).toEqual(again);
  });

  it('refuses a draft over a finalized invoice and leaves the invoice as it was', async () => {
    const draft = draftOf('draft-after-final');
    await invoices.putDraft(draft);
    const finalized = finalizedOf(draft, 1);
    expect(await invoices.finalize(finalized, [])).toEqual({ ok: true });

    expect(await invoices.putDraft({ ...draft, total: '1.00' })).toBe(false);
    expect(await invoices.get(draft.id)).toEqual(finalized);
  });

  it('numbers a tenant’s finalized invoices 1, 2, 3 without a gap, and refuses a number taken', async () => {
    const tenant = 'gap-free';
    const [october, november, december] = [
      draftOf(tenant, '2026-10-01T00:00:00.000Z'),
      draftOf(tenant, '2026-11-01T00:00:00.000Z'),
      draftOf(tenant, '2026-12-01T00:00:00.000Z'),
    ] as const;
    for (const draft of [october, november, december]) await invoices.putDraft(draft);

    expect(await invoices.nextSequence(tenant)).toBe(1);
    expect(await invoices.finalize(finalizedOf(october, 1), [])).toEqual({ ok: true });
    expect(await invoices.nextSequence(tenant)).toBe(2);
    // A worker that read the sequence before October was finalized.
    expect(await invoices.finalize(finalizedOf(november, 1), [])).toEqual({
      ok: false,
      reason: 'sequence_taken',
    });
    expect(await invoices.get(november.id)).toEqual(november);
    expect(await invoices.finalize(finalizedOf(november, 2), [])).toEqual({ ok: true });
    // Nor can a number be skipped.
    expect(await invoices.finalize(finalizedOf(december, 4), [])).toEqual({
      ok: false,
      reason: 'sequence_taken',
    });
    expect(await invoices.finalize(finalizedOf(december, 3), [])).toEqual({ ok: true });

    expect(await invoices.nextSequence(tenant)).toBe(4);
    expect((await invoices.get(november.id))?.number).toBe(invoiceNumberOf(tenant, 2));
    // Sequences are per tenant.
    expect(await invoices.nextSequence('gap-free-other')).toBe(1);
  });

  it('gives a number to exactly one of two invoices finalized at once with it', async () => {
    const tenant = 'race-sequence';
    const a = draftOf(tenant, '2026-10-01T00:00:00.000Z');
    const b = draftOf(tenant, '2026-11-01T00:00:00.000Z');
    await Promise.all([invoices.putDraft(a), invoices.putDraft(b)]);

    const outcomes = await Promise.all([
      invoices.finalize(finalizedOf(a, 1), []),
      invoices.finalize(finalizedOf(b, 1), []),
    ]);

    expect(outcomes).toContainEqual({ ok: true });
    expect(outcomes).toContainEqual({ ok: false, reason: 'sequence_taken' });
    const stored = await Promise.all([invoices.get(a.id), invoices.get(b.id)]);
    expect(stored.map((invoice) => invoice?.status).sort()).toEqual(['draft', 'finalized']);
    expect(await invoices.nextSequence(tenant)).toBe(2);
  });

  it('finalizes an invoice once when two workers finalize it at once', async () => {
    const draft = draftOf('race-invoice');
    await invoices.putDraft(draft);

    const outcomes = await Promise.all([
      invoices.finalize(finalizedOf(draft, 1), []),
      invoices.finalize(finalizedOf(draft, 1), []),
    ]);

    expect(outcomes).toContainEqual({ ok: true });
    expect(outcomes).toContainEqual({ ok: false, reason: 'not_draft' });
    expect(await invoices.nextSequence('race-invoice')).toBe(2);
  });

  it('answers not_draft for a finalized invoice, whatever sequence it brings', async () => {
    const draft = draftOf('not-draft');
    await invoices.putDraft(draft);
    await invoices.finalize(finalizedOf(draft, 1), []);
    expect(await invoices.finalize(finalizedOf(draft, 2), [])).toEqual({ ok: false, reason: 'not_draft' });
    expect(await invoices.nextSequence('not-draft')).toBe(2);
  });

  it('debits the credit grants in the transaction that finalizes the invoice', async () => {
    const tenant = 'debits';
    await credits.createGrant(grantOf(tenant, 'welcome', 1_000n));
    await credits.createGrant(grantOf(tenant, 'promo', 500n));
    const draft = draftOf(tenant);
    await invoices.putDraft(draft);

    const outcome = await invoices.finalize(finalizedOf(draft, 1), [
      { tenant, grantId: 'welcome', amountMinor: 400n },
      { tenant, grantId: 'promo', amountMinor: 500n },
    ]);

    expect(outcome).toEqual({ ok: true });
    expect(await remainingOf(tenant, 'welcome')).toBe(600n);
    expect(await remainingOf(tenant, 'promo')).toBe(0n);
  });

  it('writes nothing when a debit exceeds what is left of a grant', async () => {
    const tenant = 'overdraw';
    await credits.createGrant(grantOf(tenant, 'small', 500n));
    await credits.createGrant(grantOf(tenant, 'large', 5_000n));
    const draft = draftOf(tenant);
    await invoices.putDraft(draft);

    const outcome = await invoices.finalize(finalizedOf(draft, 1), [
      { tenant, grantId: 'large', amountMinor: 1_000n },
      { tenant, grantId: 'small', amountMinor: 600n },
    ]);

    expect(outcome).toEqual({ ok: false, reason: 'credit_changed' });
    expect(await invoices.get(draft.id)).toEqual(draft);
    expect(await invoices.nextSequence(tenant)).toBe(1);
    expect(await remainingOf(tenant, 'small')).toBe(500n);
    expect(await remainingOf(tenant, 'large')).toBe(5_000n);
  });

  it('answers credit_changed for a debit of a grant that does not exist', async () => {
    const draft = draftOf('no-grant');
    await invoices.putDraft(draft);
    expect(
      await invoices.finalize(finalizedOf(draft, 1), [
        { tenant: 'no-grant', grantId: 'ghost', amountMinor: 1n },
      ]),
    ).toEqual({ ok: false, reason: 'credit_changed' });
    expect(await invoices.get(draft.id)).toEqual(draft);
  });

  it('adds up two debits of the same grant, checking the balance against their sum', async () => {
    const tenant = 'same-grant';
    await credits.createGrant(grantOf(tenant, 'welcome', 1_000n));
    const draft = draftOf(tenant);
    await invoices.putDraft(draft);
    const debit = { tenant, grantId: 'welcome', amountMinor: 600n };

    expect(await invoices.finalize(finalizedOf(draft, 1), [debit, debit])).toEqual({
      ok: false,
      reason: 'credit_changed',
    });
    expect(await invoices.finalize(finalizedOf(draft, 1), [debit, { ...debit, amountMinor: 300n }])).toEqual({
      ok: true,
    });
    expect(await remainingOf(tenant, 'welcome')).toBe(100n);
  });

  it('refuses more debits than one transaction can hold, before writing anything', async () => {
    const draft = draftOf('too-many');
    await invoices.putDraft(draft);
    const debits = Array.from({ length: 99 }, (_, i) => ({
      tenant: 'too-many',
      grantId: `g${i}`,
      amountMinor: 1n,
    }));
    await expect(invoices.finalize(finalizedOf(draft, 1), debits)).rejects.toThrow(/at most 98/);
    expect(await invoices.get(draft.id)).toEqual(draft);
  });

  it('voids a finalized invoice and gives its credits back, once', async () => {
    const tenant = 'void';
    await credits.createGrant(grantOf(tenant, 'welcome', 1_000n));
    const draft = draftOf(tenant);
    await invoices.putDraft(draft);
    const finalized = finalizedOf(draft, 1);
    const debit = { tenant, grantId: 'welcome', amountMinor: 400n };
    await invoices.finalize(finalized, [debit]);
    expect(await remainingOf(tenant, 'welcome')).toBe(600n);

    const voided = voidedOf(finalized);
    expect(await invoices.voidInvoice(voided, [debit])).toBe(true);
    expect(await invoices.get(draft.id)).toEqual(voided);
    expect(await remainingOf(tenant, 'welcome')).toBe(1_000n);

    // Voiding again changes nothing: the stored invoice is no longer finalized.
    expect(await invoices.voidInvoice(voided, [debit])).toBe(false);
    expect(await remainingOf(tenant, 'welcome')).toBe(1_000n);
    // The number stays used.
    expect(await invoices.nextSequence(tenant)).toBe(2);
  });

  it('refuses to void a draft', async () => {
    const draft = draftOf('void-draft');
    await invoices.putDraft(draft);
    expect(await invoices.voidInvoice(voidedOf(finalizedOf(draft, 1)), [])).toBe(false);
    expect(await invoices.get(draft.id)).toEqual(draft);
  });

  it('lists a tenant’s invoices newest period first, a page at a time', async () => {
    const tenant = 'listed';
    const starts = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01'].map(
      (day) => `${day}T00:00:00.000Z`,
    );
    for (const start of starts) await invoices.putDraft(draftOf(tenant, start));
    await invoices.putDraft(draftOf('listed-other', starts[0]));
    const newestFirst = [...starts].reverse();

    const first = await invoices.listByTenant(tenant, { limit: 2 });
    expect(first.invoices.map((invoice) => invoice.periodStart)).toEqual(newestFirst.slice(0, 2));
    expect(first.cursor).toBeDefined();
    const second = await invoices.listByTenant(tenant, {
      limit: 2,
      ...(first.cursor ? { cursor: first.cursor } : {}),
    });
    expect(second.invoices.map((invoice) => invoice.periodStart)).toEqual(newestFirst.slice(2, 4));
    const third = await invoices.listByTenant(tenant, {
      limit: 2,
      ...(second.cursor ? { cursor: second.cursor } : {}),
    });
    expect(third.invoices.map((invoice) => invoice.periodStart)).toEqual(newestFirst.slice(4));
    expect(third.cursor).toBeUndefined();

    const whole = await invoices.listByTenant(tenant);
    expect(whole.invoices.map((invoice) => invoice.periodStart)).toEqual(newestFirst);
    expect(whole.invoices.every((invoice) => invoice.tenant === tenant)).toBe(true);
    expect(whole.cursor).toBeUndefined();
    // A page that ends exactly at the last invoice has no cursor.
    expect((await invoices.listByTenant(tenant, { limit: 5 })).cursor).toBeUndefined();
    expect(await invoices.listByTenant('listed-nobody')).toEqual({ invoices: [] });
  });

  it('rejects a cursor it did not give for the tenant, and a limit out of range', async () => {
    const tenant = 'cursors';
    for (const start of ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']) {
      await invoices.putDraft(draftOf(tenant, start));
    }
    const { cursor } = await invoices.listByTenant(tenant, { limit: 1 });
    expect(cursor).toBeDefined();

    const foreign = encodeKeyCursor({
      pk: 'I#x',
      sk: 'I',
      tenant: 'someone-else',
      periodStart: '2026-01-01',
    });
    for (const bad of ['not a cursor!', 'e30', foreign, `${cursor}AA`]) {
      await expect(invoices.listByTenant(tenant, { cursor: bad }), bad).rejects.toMatchObject({
        code: 'invalid_cursor',
        field: 'cursor',
      });
    }
    await expect(invoices.listByTenant('someone-else', { cursor: cursor ?? '' })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
    await expect(invoices.listByTenant(tenant, { limit: 0 })).rejects.toMatchObject({
      code: 'invalid_limit',
    });
  });

  it('records where the documents are and when the invoice was published', async () => {
    const draft = draftOf('delivered');
    await invoices.putDraft(draft);
    const finalized = finalizedOf(draft, 1);
    await invoices.finalize(finalized, []);
    const documents = { json: 'invoices/x.json', html: 'invoices/x.html', pdf: 'invoices/x.pdf' };

    await invoices.markDelivered(draft.id, documents, '2026-12-03T09:16:00.000Z');

    expect(await invoices.get(draft.id)).toEqual({
      ...finalized,
      documents,
      publishedAt: '2026-12-03T09:16:00.000Z',
    });
    // A redelivered job records delivery again: the first record stands.
    await invoices.markDelivered(draft.id, { json: 'a', html: 'b', pdf: 'c' }, '2026-12-04T00:00:00.000Z');
    expect((await invoices.get(draft.id))?.publishedAt).toBe('2026-12-03T09:16:00.000Z');
  });

  it('keeps the delivery record when the invoice is voided later', async () => {
    const draft = draftOf('delivered-then-void');
    await invoices.putDraft(draft);
    const finalized = finalizedOf(draft, 1);
    await invoices.finalize(finalized, []);
    const documents = { json: 'j', html: 'h', pdf: 'p' };
    await invoices.markDelivered(draft.id, documents, '2026-12-03T09:16:00.000Z');
    const voided = voidedOf(finalized);
    expect(await invoices.voidInvoice(voided, [])).toBe(true);
    expect(await invoices.get(draft.id)).toEqual({
      ...voided,
      documents,
      publishedAt: '2026-12-03T09:16:00.000Z',
    });
  });

  it('finalizes an invoice that was never drafted (a job run after its grace period)', async () => {
    const draft = draftOf('direct');
    expect(await invoices.finalize(finalizedOf(draft, 1), [])).toEqual({ ok: true });
    expect((await invoices.get(draft.id))?.status).toBe('finalized');
    expect(await invoices.finalize(finalizedOf(draft, 2), [])).toEqual({ ok: false, reason: 'not_draft' });
  });

  it('stores the invoice as one JSON document with its keys and index attributes beside it', async () => {
    const draft = draftOf('layout');
    await invoices.putDraft(draft);
    await invoices.finalize(finalizedOf(draft, 1), []);
    const { Item } = await stack.dynamodb.send(
      new GetItemCommand({
        TableName: stack.tables.invoices,
        Key: { pk: { S: `I#${draft.id}` }, sk: { S: 'I' } },
      }),
    );
    expect(Item).toMatchObject({
      tenant: { S: 'layout' },
      periodStart: { S: draft.periodStart },
      status: { S: 'finalized' },
      number: { S: invoiceNumberOf('layout', 1) },
      sequence: { N: '1' },
    });
    expect(JSON.parse(Item?.document?.S ?? '')).toEqual(finalizedOf(draft, 1));
    const sequence = await stack.dynamodb.send(
      new GetItemCommand({
        TableName: stack.tables.invoices,
        Key: { pk: { S: 'SEQ#layout' }, sk: { S: 'SEQ' } },
      }),
    );
    expect(sequence.Item?.next).toEqual({ N: '2' });
  });
});

describe('DynamoDbConfigStore.listTenantProfiles on DynamoDB Local', () => {
  it('lists every tenant profile once over pages of at most `limit`, skipping other config items', async () => {
    const config = new DynamoDbConfigStore(stack.dynamodb, stack.tables.config);
    const tenants = Array.from({ length: 7 }, (_, i) => `profile-${i}`);
    for (const tenant of tenants) await config.putTenant({ tenant, plan: 'pro', status: 'active' });
    await config.putToken('token-hash', {
      role: 'admin',
      label: 'ops',
      createdAt: '2026-01-01T00:00:00.000Z',
    });

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await config.listTenantProfiles({ limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page.profiles.map((profile) => profile.tenant));
      cursor = page.cursor;
    } while (cursor !== undefined);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat().sort()).toEqual(tenants);
    expect((await config.listTenantProfiles()).profiles).toHaveLength(7);
    expect((await config.listTenantProfiles({ limit: 7 })).cursor).toBeUndefined();
    expect((await config.listTenantProfiles({ limit: 1 })).profiles[0]).toMatchObject({
      plan: 'pro',
      status: 'active',
    });
    await expect(config.listTenantProfiles({ cursor: 'nope!' })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
    await expect(
      config.listTenantProfiles({ cursor: encodeKeyCursor({ pk: 'TOKEN#token-hash', sk: 'TOKEN' }) }),
    ).rejects.toMatchObject({ code: 'invalid_cursor' });
  });
});
