import { describe, expect, it } from 'vitest';
import type { Invoice } from '../../../shared/invoicing/invoice.js';
import {
  escapeHtml,
  formatMoney,
  formatServicePeriod,
  groupDigits,
  presentInvoice,
  renderInvoiceHtml,
} from '../../../shared/invoicing/render-invoice-html.js';
import { renderInvoiceJson } from '../../../shared/invoicing/render-invoice-json.js';
import {
  aDraftInvoice,
  anAdjustmentLine,
  anInvoice,
  aUsageLine,
  aVoidInvoice,
} from '../../factories/invoices.js';

/** The page's visible text, tags removed and entities decoded (enough for these assertions). */
function textOf(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('number and date formats', () => {
  it('groups thousands without changing a digit', () => {
    expect(groupDigits('1234567.5')).toBe('1,234,567.5');
    expect(groupDigits('-1234567.000001')).toBe('-1,234,567.000001');
    expect(groupDigits('999')).toBe('999');
    expect(groupDigits('1000000000000')).toBe('1,000,000,000,000');
    expect(groupDigits('0.0000025')).toBe('0.0000025');
    expect(groupDigits('not a number')).toBe('not a number');
  });

  it('writes amounts with the currency code, keeping the minor digits', () => {
    expect(formatMoney('12.30', 'USD')).toBe('USD 12.30');
    expect(formatMoney('1234.50', 'EUR')).toBe('EUR 1,234.50');
    expect(formatMoney('-5.00', 'USD')).toBe('USD -5.00');
    expect(formatMoney('1230', 'JPY')).toBe('JPY 1,230');
  });

  it('shows a half-open service period by its first and last day', () => {
    expect(formatServicePeriod('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBe(
      '2026-11-01 to 2026-11-30',
    );
    expect(formatServicePeriod('2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z')).toBe(
      '2028-02-01 to 2028-02-29',
    );
  });

  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });
});

describe('renderInvoiceHtml', () => {
  it('is a complete HTML5 page with its own styles and no external resources', () => {
    const html = renderInvoiceHtml(anInvoice());
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<style>');
    expect(html).toContain('@page{size:A4');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<link|<script|<img|src=|url\(|@import|https?:/i);
  });

  it('shows the number, tenant, currency, period, status and finalization date of a finalized invoice', () => {
    const text = textOf(renderInvoiceHtml(anInvoice(), { issuer: 'Initech AI Ltd' }));
    expect(text).toContain('Initech AI Ltd');
    expect(text).toContain('Invoice acme-000004');
    expect(text).toContain('Bill to acme');
    expect(text).toContain('Currency USD');
    expect(text).toContain('Service period 2026-11-01 to 2026-11-30 (UTC)');
    expect(text).toContain('Status Finalized');
    expect(text).toContain('Finalized 2026-12-03 09:15 UTC');
    expect(text).not.toContain('DRAFT');
    expect(text).not.toContain('VOID');
  });

  it('lists each line with grouped quantity, unit price and amount in the currency', () => {
    const text = textOf(renderInvoiceHtml(anInvoice()));
    expect(text).toContain('Input tokens model: gpt-4o 1,234,567 USD 0.0000025 USD 3.09');
    expect(text).toContain('Output tokens model: gpt-4o 350,000 USD 0.00001 USD 3.50');
    expect(text).toContain('Pro plan 1 USD 49 USD 49.00');
  });

  it("groups adjustment lines, labelled, after the period's own lines", () => {
    const invoice = anInvoice();
    const reordered = anInvoice({
      lines: [anAdjustmentLine(), ...invoice.lines.slice(0, 3)],
      subtotal: '55.64',
    });
    const text = textOf(renderInvoiceHtml(reordered));
    const own = text.indexOf('Charges for 2026-11-01 to 2026-11-30');
    const heading = text.indexOf('Adjustments for earlier periods');
    const adjustment = text.indexOf('Adjustment Input tokens (late usage)');
    expect(own).toBeGreaterThan(-1);
    expect(heading).toBeGreaterThan(text.indexOf('Output tokens'));
    expect(adjustment).toBeGreaterThan(heading);
    expect(text).toContain('Late usage for invoice acme-000003 (2026-10-01 to 2026-10-31)');
  });

  it('leaves out the adjustments section when there are none', () => {
    const invoice = anInvoice({ lines: [aUsageLine()] });
    expect(renderInvoiceHtml(invoice)).not.toContain('Adjustments for earlier periods');
    expect(presentInvoice(invoice).sections).toHaveLength(1);
  });

  it('shows the subtotal, each credit applied, the credits and the total', () => {
    const invoice = anInvoice({
      creditApplications: [
        { grantId: 'welcome-2026', name: 'Welcome credit', amount: '10.00' },
        { grantId: 'promo', name: 'Launch promo', amount: '5.00' },
      ],
      credits: '15.00',
      total: '40.64',
    });
    const text = textOf(renderInvoiceHtml(invoice));
    expect(text).toContain(
      'Subtotal USD 55.64 Credit: Welcome credit USD -10.00 Credit: Launch promo USD -5.00 Credits applied USD -15.00 Total due USD 40.64',
    );
  });

  it('marks a draft as not final and has no number', () => {
    const text = textOf(renderInvoiceHtml(aDraftInvoice()));
    expect(text).toContain('DRAFT — not final');
    expect(text).toContain('Status Draft');
    expect(text).not.toContain('acme-000004');
    expect(text).not.toContain('Finalized 2026');
  });

  it('marks a void invoice with its reason', () => {
    const text = textOf(renderInvoiceHtml(aVoidInvoice('Billed on the wrong plan')));
    expect(text).toContain('VOID: Billed on the wrong plan');
    expect(text).toContain('Voided 2026-12-10 14:00 UTC');
  });

  it('lists the warnings and puts the invoice id in the footer', () => {
    const invoice = anInvoice({
      warnings: ['Rate card "tokens" has no price for model "o9"; billed at zero.'],
    });
    const html = renderInvoiceHtml(invoice);
    expect(textOf(html)).toContain(
      'Warnings Rate card "tokens" has no price for model "o9"; billed at zero.',
    );
    expect(html).toMatch(new RegExp(`<footer>Invoice id ${invoice.id} `));
    expect(renderInvoiceHtml(anInvoice())).not.toContain('Warnings');
  });

  it('escapes every interpolated value, so tenant and line text cannot inject markup', () => {
    const hostile = '<script>alert("x")</script> & Co';
    const invoice = anInvoice({
      tenant: hostile,
      plan: '<b>pro</b>',
      lines: [aUsageLine({ description: hostile, group: { '<k>': '"v" & \'w\'' } })],
      warnings: ['<img src=x onerror=alert(1)>'],
      creditApplications: [{ grantId: 'g', name: '<i>credit</i>', amount: '0.00' }],
      credits: '0.00',
    });
    const html = renderInvoiceHtml(invoice, { issuer: 'A&B <Ltd>' });
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/<(img|b|i|k)\b/);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).toContain('A&amp;B &lt;Ltd&gt;');
    expect(html).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
    expect(textOf(html)).toContain(`Bill to ${hostile}`);
  });

  it('renders the same invoice to the same page', () => {
    expect(renderInvoiceHtml(anInvoice())).toBe(renderInvoiceHtml(anInvoice()));
  });
});

describe('renderInvoiceJson', () => {
  it('keeps every field, indented by two spaces, with a trailing newline', () => {
    const invoice = anInvoice({ warnings: ['w'] });
    const json = renderInvoiceJson(invoice);
    expect(JSON.parse(json)).toEqual(invoice);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json).toContain('\n  "id": ');
    expect(
      json.startsWith(`{\n  "id": "${invoice.id}",\n  "tenant": "acme",\n  "status": "finalized",`),
    ).toBe(true);
  });

  it('gives the same bytes whatever order the fields were built in', () => {
    const invoice = anInvoice();
    const shuffled = Object.fromEntries(
      Object.entries(invoice)
        .reverse()
        .map(([key, value]) =>
          key === 'lines'
            ? [
                key,
                (value as Invoice['lines']).map((line) => Object.fromEntries(Object.entries(line).reverse())),
              ]
            : [key, value],
        ),
    ) as unknown as Invoice;
    expect(Object.keys(shuffled)[0]).not.toBe('id');
    expect(renderInvoiceJson(shuffled)).toBe(renderInvoiceJson(invoice));
  });

  it('sorts the keys of dimension maps', () => {
    const invoice = anInvoice({ lines: [aUsageLine({ group: { region: 'eu', model: 'gpt-4o' } })] });
    const json = renderInvoiceJson(invoice);
    expect(json.indexOf('"model"')).toBeLessThan(json.indexOf('"region"'));
  });
});
