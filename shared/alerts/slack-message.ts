/**
 * Alerts and threshold crossings as Slack Block Kit messages: what happened, to whom, how big,
 * since when, the last hours as a sparkline, and what to do. Every interpolated value is escaped
 * (`&`, `<`, `>`), so a tenant, a dimension value or a title can never inject a link or a
 * mention, and every text is clipped to Slack's limits. Times are UTC. Pure.
 */
import type { ThresholdCrossing } from '../metering/ports.js';
import type { AlertMessage, AlertSeverity } from './alert.js';
import type { AlarmNotification } from './notification.js';

export interface SlackText {
  readonly type: 'mrkdwn' | 'plain_text';
  readonly text: string;
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText & { readonly type: 'plain_text' } }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] };

/** The body of an incoming-webhook post; `text` is the notification's fallback. */
export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

export interface SlackMessageOptions {
  /** The API's base URL (`https://…/prod`): links become clickable when given. */
  readonly apiBaseUrl?: string;
}

/** Slack's limits: header text 150, section text 3000, a field 2000, ten fields a section. */
export const SLACK_LIMITS = { header: 150, section: 3000, field: 2000, fields: 10, fallback: 1000 } as const;

const SEVERITY_EMOJI: Readonly<Record<AlertSeverity, string>> = {
  critical: '🔴',
  warning: '🟠',
  info: '🔵',
};
const BARS = '▁▂▃▄▅▆▇█';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/** An alert message (opened, updated or resolved) as Block Kit. */
export function slackMessageForAlert(message: AlertMessage, options: SlackMessageOptions = {}): SlackPayload {
  return message.type === 'alert.resolved' || message.state === 'resolved'
    ? resolvedAlert(message, options)
    : activeAlert(message, options);
}

function activeAlert(message: AlertMessage, options: SlackMessageOptions): SlackPayload {
  const emoji = SEVERITY_EMOJI[message.severity];
  const updated = message.type === 'alert.updated' ? 'Update: ' : '';
  const ratio = message.ratio === undefined ? '' : ` (${ratioText(message.ratio)})`;
  const fields = [
    field('Tenant', esc(message.tenant)),
    seriesText(message) === '' ? undefined : field('Meter', seriesText(message)),
    field('Observed', `${quantity(message.observed, message.unit)}${ratio}`),
    message.expected === undefined ? undefined : field('Expected', quantity(message.expected, message.unit)),
    field('When', sinceText(message.startedAt, message.updatedAt)),
    field('Window', windowText(message.window.start, message.window.end)),
  ].filter((f) => f !== undefined);
  const recent = message.recent ?? [];
  const blocks: SlackBlock[] = [
    header(`${emoji} ${updated}${message.title}`),
    section(esc(message.summary), fields),
  ];
  if (recent.length > 0) {
    const finite = recent.filter(Number.isFinite);
    const range =
      finite.length === 0
        ? ''
        : ` min ${quantity(String(Math.min(...finite)), '')} · max ${quantity(String(Math.max(...finite)), '')}`;
    blocks.push(
      section(
        `*Last ${recent.length} h*${message.unit === '' ? '' : ` (${esc(message.unit)})`}\n\`${sparkline(recent)}\`${range}`,
      ),
    );
  }
  if (message.action.trim() !== '') blocks.push(section(`*What to do*\n${esc(message.action)}`));
  blocks.push(alertContext(message, options));
  return {
    text: clip(
      `${emoji} ${message.severity.toUpperCase()}: ${esc(`${updated}${message.title}`)}${ratio}`,
      SLACK_LIMITS.fallback,
    ),
    blocks,
  };
}

function resolvedAlert(message: AlertMessage, options: SlackMessageOptions): SlackPayload {
  // Not the incident's title: it describes the peak ("… is 5.2× its normal level").
  const dims = Object.entries(message.dimensions).map(([key, value]) => `${key}=${value}`);
  const subject = `${message.meter ?? ''}${dims.length === 0 ? '' : ` (${dims.join(', ')})`}`.trim();
  const title = `Resolved: ${message.kind.replaceAll('_', ' ')} · ${message.tenant}${subject === '' ? '' : ` · ${subject}`}`;
  const end = message.resolvedAt ?? message.updatedAt;
  const lasted = durationText(Date.parse(end) - Date.parse(message.startedAt));
  const series = seriesText(message);
  const now =
    message.expected === undefined
      ? ''
      : `\nLast hour: ${quantity(message.observed, message.unit)} (expected ${quantity(message.expected, message.unit)})`;
  const text =
    `*${esc(message.tenant)}*${series === '' ? '' : ` · ${series.replace('\n', ' · ')}`} is back to normal` +
    `${lasted === '' ? '' : ` after *${lasted}*`} (${timeRange(message.startedAt, end)}).${now}`;
  return {
    text: clip(`✅ ${esc(title)}${lasted === '' ? '' : ` after ${lasted}`}`, SLACK_LIMITS.fallback),
    blocks: [header(`✅ ${title}`), section(text), alertContext(message, options)],
  };
}

/** A pipeline health alarm (CloudWatch, via the alerts topic) as Block Kit: firing or recovered. */
export function slackMessageForAlarm(alarm: AlarmNotification): SlackPayload {
  const firing = alarm.NewStateValue === 'ALARM';
  const emoji = firing ? '🚨' : alarm.NewStateValue === 'OK' ? '✅' : '❔';
  const title = `${firing ? 'Pipeline alarm' : alarm.NewStateValue === 'OK' ? 'Recovered' : 'No data'}: ${alarm.AlarmName}`;
  const fields = [
    field('State', `${esc(alarm.OldStateValue ?? '?')} → *${esc(alarm.NewStateValue)}*`),
    field('Since', esc(alarm.StateChangeTime)),
  ];
  const action = firing
    ? 'See docs/operations.md and the pipeline dashboard: iterator age means the consumer is behind, a DLQ message means a batch or job was given up, quarantine means producers send bad events.'
    : 'Nothing to do: the alarm is back to OK.';
  return {
    text: clip(`${emoji} ${esc(title)}`, SLACK_LIMITS.fallback),
    blocks: [
      header(`${emoji} ${title}`),
      section(esc(clip(alarm.AlarmDescription ?? alarm.NewStateReason, SLACK_LIMITS.section - 100)), fields),
      section(`*Why*\n${esc(clip(alarm.NewStateReason, SLACK_LIMITS.section - 100))}`),
      ...(firing ? [section(`*What to do*\n${action}`)] : []),
    ],
  };
}

/** A threshold crossing of an entitlement (50/80/100 % …) as Block Kit; BLOCKED when a hard cap is hit. */
export function slackMessageForThreshold(
  crossing: ThresholdCrossing,
  options: SlackMessageOptions = {},
): SlackPayload {
  const emoji = crossing.blocked
    ? '⛔'
    : crossing.percent >= 100
      ? '🔴'
      : crossing.percent >= 80
        ? '🟠'
        : '🟡';
  const title = crossing.blocked
    ? `BLOCKED: ${crossing.tenant} reached ${crossing.percent}% of ${crossing.entitlement}`
    : `${crossing.tenant} reached ${crossing.percent}% of ${crossing.entitlement}`;
  const scope = labelsText(crossing.scope ?? {});
  const used = `${quantity(crossing.used, '')} of ${quantity(crossing.limit, '')} ${esc(crossing.meter)}`;
  const share = percentOf(crossing.used, crossing.limit);
  const period = windowText(crossing.periodStart, crossing.periodEnd);
  const fields = [
    field('Tenant', esc(crossing.tenant)),
    field(
      'Entitlement',
      `${esc(crossing.entitlement)} (${crossing.mode})${scope === '' ? '' : `\n${scope}`}`,
    ),
    field('Used', `${used}${share === undefined ? '' : ` (${share}%)`}`),
    field('Period', period),
    isZero(crossing.overage) ? undefined : field('Overage', quantity(crossing.overage, crossing.meter)),
    isZero(crossing.rejected) ? undefined : field('Rejected', quantity(crossing.rejected, crossing.meter)),
  ].filter((f) => f !== undefined);
  const summary = crossing.blocked
    ? `*BLOCKED*: *${esc(crossing.tenant)}* has used ${used}, the hard limit of ${esc(crossing.entitlement)}. ` +
      `Further usage is rejected until the period ends (${period}) or the limit is raised.`
    : `*${esc(crossing.tenant)}* has used ${used}: ${crossing.percent}% of ${esc(crossing.entitlement)} (${crossing.mode} limit).`;
  const action = crossing.blocked
    ? 'Raise the limit or move the tenant to a larger plan to unblock it: usage above the cap is recorded as rejected and not counted.'
    : crossing.percent >= 100
      ? 'Usage above the limit is billed as overage. Tell the customer, or raise the limit if the overage is not intended.'
      : 'Nothing is blocked yet. Check whether the customer expects to reach the limit before the period ends.';
  const links =
    options.apiBaseUrl === undefined
      ? []
      : [
          link(
            options.apiBaseUrl,
            `/v1/tenants/${encodeURIComponent(crossing.tenant)}/entitlements`,
            'entitlements',
          ),
        ];
  return {
    text: clip(`${emoji} ${esc(title)} (${used})`, SLACK_LIMITS.fallback),
    blocks: [
      header(`${emoji} ${title}`),
      section(summary, fields),
      section(`*What to do*\n${action}`),
      context([`Threshold ${crossing.percent}% · ${code(crossing.id)}`, ...links]),
    ],
  };
}

/** Values as one bar each (▁…█), scaled between their minimum and maximum; a gap for a non-number. */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return values
    .map((value) => {
      if (!Number.isFinite(value)) return ' ';
      if (max === min) return BARS.charAt(max === 0 ? 0 : 3);
      return BARS.charAt(Math.round(((value - min) / (max - min)) * (BARS.length - 1)));
    })
    .join('');
}

/** Escapes Slack's control characters so that a value reads literally. */
export function escapeMrkdwn(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const esc = escapeMrkdwn;

function header(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text: clip(esc(text), SLACK_LIMITS.header) } };
}

/** `text` is mrkdwn, already escaped. */
function section(text: string, fields: readonly SlackText[] = []): SlackBlock {
  const body = text.trim() === '' ? {} : { text: mrkdwn(clip(text, SLACK_LIMITS.section)) };
  return fields.length === 0
    ? { type: 'section', ...body }
    : { type: 'section', ...body, fields: fields.slice(0, SLACK_LIMITS.fields) };
}

/** One element per part (at most ten), each clipped to Slack's 3000. */
function context(parts: readonly string[]): SlackBlock {
  return {
    type: 'context',
    elements: parts.slice(0, SLACK_LIMITS.fields).map((part) => mrkdwn(clip(part, SLACK_LIMITS.section))),
  };
}

function field(label: string, value: string): SlackText {
  return mrkdwn(clip(`*${label}*\n${value}`, SLACK_LIMITS.field));
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text };
}

function alertContext(message: AlertMessage, options: SlackMessageOptions): SlackBlock {
  const kind = message.kind.replaceAll('_', ' ');
  const parts = [`${kind} · ${message.severity} · alert ${code(message.alertId)}`];
  const base = options.apiBaseUrl;
  if (base !== undefined) {
    parts.push(link(base, message.links.alert, 'alert'));
    if (message.links.usage !== undefined) parts.push(link(base, message.links.usage, 'usage'));
  } else if (message.links.usage !== undefined) {
    parts.push(`usage: ${code(message.links.usage)}`);
  }
  return context(parts);
}

/**
 * `<url|label>`: the URL escaped, and `|` encoded so it cannot end the URL early. A URL too long
 * for one element is left out (clipping would break the link), leaving the label.
 */
function link(base: string, path: string, label: string): string {
  const url = esc(`${base.replace(/\/+$/, '')}${path}`).replaceAll('|', '%7C');
  return url.length + label.length + 3 > SLACK_LIMITS.section ? label : `<${url}|${label}>`;
}

function code(value: string): string {
  return `\`${esc(value).replaceAll('`', "'")}\``;
}

/** Meter and dimensions: `input_tokens` and, on a second line, `model=gpt-4o · workspace=support`. */
function seriesText(message: AlertMessage): string {
  const dims = labelsText(message.dimensions);
  return [message.meter === undefined ? '' : esc(message.meter), dims].filter((s) => s !== '').join('\n');
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${esc(key)}=${esc(value)}`)
    .join(' · ');
}

/** A decimal string with thousands separators, then its unit: `52,000 tokens`. */
function quantity(value: string, unit: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(value);
  const number = match
    ? `${match[1]}${(match[2] ?? '').replace(/\B(?=(\d{3})+$)/g, ',')}${match[3] ?? ''}`
    : value;
  return esc(unit === '' ? number : `${number} ${unit}`);
}

function isZero(value: string): boolean {
  return /^-?0+(\.0+)?$/.test(value);
}

function percentOf(used: string, limit: string): number | undefined {
  const share = (Number(used) / Number(limit)) * 100;
  return Number.isFinite(share) ? Math.floor(share) : undefined;
}

/** `5.2× normal`, `12× normal`, `3% of normal`. */
function ratioText(ratio: number): string {
  if (ratio >= 10) return `${Math.round(ratio)}× normal`;
  if (ratio >= 1) return `${Number(ratio.toFixed(1))}× normal`;
  const percent = Math.round(ratio * 100);
  return percent === 0 && ratio > 0 ? 'under 1% of normal' : `${percent}% of normal`;
}

/** `since 14:00 UTC (2 h 10 min so far)`, with the day when it started on another day. */
function sinceText(startedAt: string, reference: string): string {
  const start = Date.parse(startedAt);
  const now = Date.parse(reference);
  if (Number.isNaN(start)) return esc(startedAt);
  const sameDay = !Number.isNaN(now) && Math.floor(start / DAY_MS) === Math.floor(now / DAY_MS);
  const lasted = Number.isNaN(now) ? '' : durationText(now - start);
  return `since ${sameDay ? '' : `${dayText(start)}, `}${clock(start)} UTC${lasted === '' ? '' : ` (${lasted} so far)`}`;
}

/** `Nov 29, 14:00–15:00 UTC`; whole days as dates (`Nov 1 – Nov 30, 2026`, end exclusive). */
function windowText(startIso: string, endIso: string): string {
  const start = Date.parse(startIso);
  const end = Date.parse(endIso);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return esc(`${startIso} – ${endIso}`);
  if (start % DAY_MS === 0 && end % DAY_MS === 0) {
    const last = end - DAY_MS;
    const year = new Date(last).getUTCFullYear();
    return last === start ? `${dayText(start)}, ${year}` : `${dayText(start)} – ${dayText(last)}, ${year}`;
  }
  return `${dayText(start)}, ${timeRange(startIso, endIso)}`;
}

/** `14:00–17:20 UTC`, with the end's day when it is another day. */
function timeRange(startIso: string, endIso: string): string {
  const start = Date.parse(startIso);
  const end = Date.parse(endIso);
  if (Number.isNaN(start) || Number.isNaN(end)) return esc(`${startIso} – ${endIso}`);
  const sameDay = Math.floor(start / DAY_MS) === Math.floor((end - 1) / DAY_MS);
  return sameDay
    ? `${clock(start)}–${clock(end)} UTC`
    : `${clock(start)} UTC – ${dayText(end)}, ${clock(end)} UTC`;
}

function dayText(ms: number): string {
  const date = new Date(ms);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** `45 min`, `3 h 20 min`, `2 d 4 h`; empty when unknown or negative. */
function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours === 0 ? `${days} d` : `${days} d ${hours} h`;
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/**
 * At most `max` characters, ending in `…` when cut; never cuts an entity (`&amp;`) or a
 * surrogate pair in half.
 */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}
