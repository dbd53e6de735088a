/**
 * Receives the capacity units each DynamoDB call consumed (ReturnConsumedCapacity), for the
 * benchmark and metrics. Refused conditional writes count one write unit, as AWS bills them.
 */
export type CapacityListener = (kind: 'read' | 'write', units: number) => void;
