/**
 * Price components: how one plan charges for one thing. Each kind is priced by a pure function
 * in its own file (`per-unit.ts`, `graduated.ts`, …); `price-usage.ts` dispatches on `type`.
 *
 * Vocabulary:
 * - a **usage component** prices a meter's billable quantity in the period (`per_unit`,
 *   `graduated`, `volume`, `package`, `allowance`, `rate_card`);
 * - a **flat fee** is charged once per billing period, whatever the usage;
 * - a **minimum commitment** adds a true-up line when the period's usage charges fall short;
 * - a **discount** takes a percent or an amount off the period's subtotal.
 *
 * All prices are exact: `UnitPrice` (10^-12 major units) and `PreciseAmount` (10^-24), never
 * floating point. A component returns precise amounts; rounding to the currency's minor units
 * happens later, once per invoice line.
 */
import type { Quantity } from '../decimal/quantity.js';
import type { PreciseAmount, UnitPrice } from '../money/money.js';

export const PRICE_COMPONENT_TYPES = [
  'per_unit',
  'graduated',
  'volume',
  'package',
  'allowance',
  'rate_card',
] as const;
export type UsagePriceType = (typeof PRICE_COMPONENT_TYPES)[number];

interface UsagePriceBase {
  /** Unique within the plan's prices; defaults to the meter key. Names invoice lines. */
  readonly key: string;
  /** The catalog meter whose billable quantity this prices. */
  readonly meter: string;
  /** The line's description; defaults to the meter's name. */
  readonly name?: string;
}

/** `quantity × unitPrice`. */
export interface PerUnitPrice extends UsagePriceBase {
  readonly type: 'per_unit';
  readonly unitPrice: UnitPrice;
}

/**
 * A tier covers usage up to `upTo` (inclusive, cumulative from zero); the last tier has
 * `upTo: undefined` (unbounded). `flatFee` is charged once when usage reaches the tier.
 */
export interface PriceTier {
  readonly upTo?: Quantity;
  readonly unitPrice: UnitPrice;
  readonly flatFee?: PreciseAmount;
}

/** Each unit priced at the tier it falls in (like income tax brackets). */
export interface GraduatedPrice extends UsagePriceBase {
  readonly type: 'graduated';
  /** Ascending `upTo`; the last one unbounded. */
  readonly tiers: readonly PriceTier[];
}

/** Every unit priced at the one tier the total quantity falls in. */
export interface VolumePrice extends UsagePriceBase {
  readonly type: 'volume';
  readonly tiers: readonly PriceTier[];
}

/** `packagePrice` per started block of `packageSize` units (ceil(quantity / packageSize)). */
export interface PackagePrice extends UsagePriceBase {
  readonly type: 'package';
  /** > 0. */
  readonly packageSize: Quantity;
  readonly packagePrice: PreciseAmount;
}

/** The first `included` units are free; the rest cost `unitPrice` each. */
export interface AllowancePrice extends UsagePriceBase {
  readonly type: 'allowance';
  readonly included: Quantity;
  readonly unitPrice: UnitPrice;
}

/**
 * A price per value of one of the meter's groupBy dimensions, e.g. per `model`. Values not
 * listed use `defaultUnitPrice`; without it they are priced at zero and the line is flagged
 * `unpriced` (the invoice carries a warning rather than a silently invented price).
 */
export interface RateCardPrice extends UsagePriceBase {
  readonly type: 'rate_card';
  readonly dimension: string;
  /** Dimension value → unit price. */
  readonly rates: Readonly<Record<string, UnitPrice>>;
  readonly defaultUnitPrice?: UnitPrice;
}

export type UsagePrice =
  | PerUnitPrice
  | GraduatedPrice
  | VolumePrice
  | PackagePrice
  | AllowancePrice
  | RateCardPrice;

/** A recurring fee per billing period (a subscription); prorated by day on a mid-period plan change. */
export interface FlatFee {
  readonly key: string;
  readonly name: string;
  readonly amount: PreciseAmount;
}

/** When the period's usage charges are below `amount`, a true-up line adds the difference. */
export interface MinimumCommitment {
  readonly amount: PreciseAmount;
  readonly name?: string;
}

/** A percent (`percent`, 0–100, up to 4 decimals, as parts per million) or a fixed amount off. */
export type Discount =
  | {
      readonly key: string;
      readonly name: string;
      readonly kind: 'percent';
      readonly partsPerMillion: bigint;
    }
  | { readonly key: string; readonly name: string; readonly kind: 'amount'; readonly amount: PreciseAmount };

/** A meter's billable quantity in one group of its groupBy dimensions. */
export interface GroupQuantity {
  /** Dimension → value (`''` when events lacked it); `{}` for the meter's total. */
  readonly group: Readonly<Record<string, string>>;
  readonly quantity: Quantity;
}

/** One priced line, before rounding. */
export interface PricedLine {
  /** Stable within the invoice: `{price key}` or `{price key}:{tier or dimension value}`. */
  readonly key: string;
  readonly description: string;
  readonly meter?: string;
  /** Dimension values this line prices (rate cards). */
  readonly group?: Readonly<Record<string, string>>;
  readonly quantity: Quantity;
  /** The price of one unit, when the line has one (per unit, tiers, rate cards, allowances). */
  readonly unitPrice?: UnitPrice;
  readonly amount: PreciseAmount;
  /** Set when a rate card had no price for this dimension value (priced at zero). */
  readonly unpriced?: true;
}
