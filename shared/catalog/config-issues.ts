/**
 * Turns zod issues into `ConfigIssue`s whose paths name list items by their key
 * (`plans.pro.entitlements.monthly-input-tokens.meter`) rather than by index, with messages
 * that read well after the path.
 */
import * as z from 'zod';
import type { ConfigIssue } from './catalog.js';

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value !== 'string') return String(value);
  return value.length > 40 ? `"${value.slice(0, 40)}…"` : `"${value}"`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  array: 'a list',
  object: 'an object',
  boolean: 'true or false',
};

/** A zod error map giving short messages that read well after a path. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${describeValue(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map(String).join(', ')}, not ${describeValue(issue.input)}`;
    case 'invalid_union': {
      // A discriminated union (e.g. a price's `type`) whose discriminator matched no option.
      const { options, discriminator } = issue as { options?: unknown; discriminator?: unknown };
      if (!Array.isArray(options) || options.length === 0 || typeof discriminator !== 'string')
        return undefined;
      const value = child(issue.input, discriminator);
      if (value === undefined) return 'required';
      return `must be one of ${options.map(String).join(', ')}, not ${describeValue(value)}`;
    }
    default:
      return undefined;
  }
};

type Path = readonly PropertyKey[];

function labelOf(item: unknown, labelKeys: readonly string[]): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  for (const name of labelKeys) {
    const value = (item as Record<string, unknown>)[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function child(value: unknown, segment: PropertyKey): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as Record<PropertyKey, unknown>)[segment];
}

/**
 * Renders a path, naming a list item by its label (the first of `labelKeys` it has as a
 * string, e.g. `key`) when that label is unique in its list, else by `[index]`.
 */
export function formatPath(path: Path, document: unknown, labelKeys: readonly string[]): string {
  let out = '';
  let current = document;
  for (const segment of path) {
    if (typeof segment === 'number' && Array.isArray(current)) {
      const label = labelOf(current[segment], labelKeys);
      const unique =
        label !== undefined && current.filter((item) => labelOf(item, labelKeys) === label).length === 1;
      out += unique ? `${out === '' ? '' : '.'}${label}` : `[${segment}]`;
    } else {
      out += `${out === '' ? '' : '.'}${String(segment)}`;
    }
    current = child(current, segment);
  }
  return out;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The object schemas `schema` may be, unwrapping optionals, defaults, pipes and unions. */
function objectsOf(schema: unknown): z.ZodObject[] {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap();
    else if (current instanceof z.ZodPipe) current = current.in;
    else break;
  }
  if (current instanceof z.ZodObject) return [current];
  if (current instanceof z.ZodUnion) return (current.options as readonly unknown[]).flatMap(objectsOf);
  return [];
}

/** The object schema's property names at `path`, following lists, optionals, defaults, pipes and unions. */
function propertiesAt(schema: z.ZodType, path: Path): readonly string[] {
  let current: unknown = schema;
  for (const segment of path) {
    while (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPipe
    ) {
      current = current instanceof z.ZodPipe ? current.in : current.unwrap();
    }
    if (current instanceof z.ZodArray && typeof segment === 'number') current = current.element;
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else if (typeof segment === 'string') {
      current = objectsOf(current).find((object) => Object.hasOwn(object.shape, segment))?.shape[segment];
      if (current === undefined) return [];
    } else return [];
  }
  return [...new Set(objectsOf(current).flatMap((object) => Object.keys(object.shape)))];
}

function unknownPropertyMessage(property: string, known: readonly string[]): string {
  const close = known
    .map((name) => ({ name, d: distance(property, name) }))
    .filter(({ d, name }) => d <= Math.max(1, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  return close === undefined ? 'unknown property' : `unknown property (did you mean "${close.name}"?)`;
}

/** Converts zod issues on `document` to `ConfigIssue`s with keyed paths. */
export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  document: unknown,
  schema: z.ZodType,
  labelKeys: readonly string[],
): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      const known = propertiesAt(schema, issue.path);
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key], document, labelKeys),
        message: unknownPropertyMessage(key, known),
      }));
    }
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return [{ path: formatPath(issue.path, document, labelKeys), message }];
  });
}
