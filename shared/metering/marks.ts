/**
 * High-water marks: how a counter item remembers which stream records it already holds.
 *
 * Kinesis orders records per (shard, partition key) — also under a parallelization factor
 * above 1. A counter item keeps, for every (shard, partition key) that ever wrote to it, the
 * sequence number of the last record it counted. A write carries the contributions of records
 * above that mark only, so a retried, bisected or replayed batch can never count a record twice
 * in the same item.
 */

/** Attribute name of the mark for one (shard, partition key). */
export function markAttribute(shardId: string, partitionKey: string): string {
  return `h_${shardId}_${partitionKey}`;
}

/**
 * Sequence numbers are decimal strings of up to 129 digits without leading zeros; comparing
 * them as strings is wrong ("9" > "10"). A mark is the digit count (3 digits) followed by the
 * digits, so DynamoDB's string comparison orders marks exactly as the numbers.
 */
export function markOf(sequenceNumber: string): string {
  const digits = sequenceNumber.replace(/^0+(?=\d)/, '');
  if (!/^\d{1,999}$/.test(digits)) throw new RangeError(`not a sequence number: ${sequenceNumber}`);
  return `${String(digits.length).padStart(3, '0')}${digits}`;
}

/** True when the record with mark `record` is above `mark` (not yet counted). */
export function isAboveMark(record: string, mark: string | undefined): boolean {
  return mark === undefined || record > mark;
}
