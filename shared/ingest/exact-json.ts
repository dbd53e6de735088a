/**
 * JSON text helpers that keep numbers and source bytes exact.
 *
 * `JSON.parse` turns numbers with more than 15 significant digits into inexact doubles
 * (123456789012345678 → 123456789012345680). `parseJsonExact` keeps such numbers as their
 * source text, a decimal string the contract allows and `parseQuantity` reads exactly.
 * `arrayElementSpans` / `memberValueStart` find where values sit in the source text, so a
 * quarantined event keeps its own original JSON.
 */

/** 16 digits, possibly around one decimal point: the only way to write > 15 significant digits. */
const SIXTEEN_DIGITS = /\d(?:\.?\d){15}/;
const MAX_EXACT_DIGITS = 15;

/** Significant digits of a JSON number's source text ("-0.00120e5" → 2). */
export function significantDigits(source: string): number {
  let first = -1;
  let last = -1;
  let position = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x65 || c === 0x45) break; // e, E: the exponent does not count
    if (c < 0x30 || c > 0x39) continue; // '-', '.'
    if (c !== 0x30) {
      if (first < 0) first = position;
      last = position;
    }
    position += 1;
  }
  return first < 0 ? 0 : last - first + 1;
}

interface ReviverContext {
  readonly source?: string;
}

// Node ≥ 21 passes the source text of primitives as the reviver's third argument.
function keepLongNumbers(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number') return value;
  const source = context?.source;
  return source !== undefined && significantDigits(source) > MAX_EXACT_DIGITS ? source : value;
}

/**
 * `JSON.parse`, except that a number with more than 15 significant digits becomes its source
 * text (a string). The reviver only runs when the text has a run of 16 digits, so ordinary
 * records take the plain fast path. Throws `SyntaxError` like `JSON.parse`.
 */
export function parseJsonExact(text: string): unknown {
  return SIXTEEN_DIGITS.test(text) ? JSON.parse(text, keepLongNumbers) : JSON.parse(text);
}

/** Where one value sits in a JSON text: `text.slice(start, end)`. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

// The scanners below walk text that JSON.parse has already accepted, so they need not
// validate; they only track strings (whose content may hold brackets) and nesting. Every loop
// is bounded by the text's length, so even text that is not JSON cannot make them spin.

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i += 1;
  }
}

function skipString(text: string, i: number): number {
  i += 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i += 1;
  }
  return text.length;
}

function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === 0x22) {
        i = skipString(text, i);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth += 1;
      else if (d === 0x7d || d === 0x5d) {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
      i += 1;
    }
    return text.length;
  }
  // number, true, false, null
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === 0x2c || d === 0x5d || d === 0x7d || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) break;
    i += 1;
  }
  return i;
}

/** Index of the first non-whitespace character: where the top-level value starts. */
export function valueStart(text: string): number {
  return skipWhitespace(text, 0);
}

/** The spans of the elements of the (valid) JSON array that opens at `open`. */
export function arrayElementSpans(text: string, open: number): Span[] {
  const spans: Span[] = [];
  let i = skipWhitespace(text, open + 1);
  if (text.charCodeAt(i) === 0x5d) return spans;
  for (;;) {
    const end = skipValue(text, i);
    spans.push({ start: i, end });
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) !== 0x2c) return spans;
    i = skipWhitespace(text, i + 1);
  }
}

/**
 * Where the value of member `key` starts in the (valid) JSON object that opens at `open`, or
 * -1. Like `JSON.parse`, the last of duplicate keys wins.
 */
export function memberValueStart(text: string, open: number, key: string): number {
  let found = -1;
  let i = skipWhitespace(text, open + 1);
  if (text.charCodeAt(i) === 0x7d) return found;
  for (;;) {
    const keyEnd = skipString(text, i);
    let name = text.slice(i + 1, keyEnd - 1);
    if (name.includes('\\')) name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // past ':'
    if (name === key) found = i;
    i = skipWhitespace(text, skipValue(text, i));
    if (text.charCodeAt(i) !== 0x2c) return found;
    i = skipWhitespace(text, i + 1);
  }
}
