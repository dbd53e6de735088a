import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Quantity } from '../../../shared/decimal/quantity.js';
import { formatQuantity } from '../../../shared/decimal/quantity.js';
import { parseStoredQuantity } from '../../../shared/decimal/stored-quantity.js';
import type { ItemSnapshot } from '../../../shared/metering/ports.js';

export function quantityValue(value: Quantity): AttributeValue {
  return { N: formatQuantity(value) };
}

export function scalarValue(value: Quantity | string): AttributeValue {
  return typeof value === 'bigint' ? quantityValue(value) : { S: value };
}

export function describeValue(value: string | Readonly<Record<string, string>>): AttributeValue {
  if (typeof value === 'string') return { S: value };
  const map: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(value)) map[k] = { S: v };
  return { M: map };
}

/** Reads an item into the snapshot the metering domain reasons about. */
export function snapshotOf(item: Record<string, AttributeValue> | undefined): ItemSnapshot {
  const marks = new Map<string, string>();
  const numbers = new Map<string, Quantity>();
  const strings = new Map<string, string>();
  const numberSets = new Map<string, ReadonlySet<number>>();
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith('h_') && value.S !== undefined) marks.set(name, value.S);
    else if (value.N !== undefined) numbers.set(name, parseStoredQuantity(value.N));
    else if (value.S !== undefined) strings.set(name, value.S);
    else if (value.NS !== undefined) numberSets.set(name, new Set(value.NS.map(Number)));
  }
  return { marks, numbers, strings, numberSets };
}

/** Names and values for an expression, with generated placeholders. */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  #n = 0;
  #v = 0;

  name(attribute: string): string {
    const placeholder = `#n${this.#n++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${this.#v++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}
