/** What alerting needs from storage and delivery; adapters only marshal and make conditional writes. */
import type { Alert, AlertMessage, AlertState } from './alert.js';

export interface AlertPage {
  readonly alerts: readonly Alert[];
  readonly cursor?: string;
}

export interface AlertListQuery {
  readonly tenant?: string;
  readonly state?: AlertState;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AlertStore {
  /** The alert of `incidentKey` that is open, or the last one it had (resolved), or nothing. */
  current(incidentKey: string): Promise<Alert | undefined>;
  get(id: string): Promise<Alert | undefined>;
  /**
   * Opens `alert` as the incident's open alert: written only when the incident has no open
   * alert (a re-run or a concurrent run opens nothing twice). False when it has one.
   */
  open(alert: Alert): Promise<boolean>;
  /**
   * Replaces the stored alert when its version is `alert.version - 1`; a resolved alert also
   * frees its incident key for the next incident. False when the stored version differs.
   */
  update(alert: Alert): Promise<boolean>;
  /** Newest first; by tenant, by state, or both. */
  list(query: AlertListQuery): Promise<AlertPage>;
}

export interface AlertPublisher {
  /** Publishes to the alerts topic (at least once; subscribers dedupe on alertId + type + updatedAt). */
  publish(message: AlertMessage): Promise<void>;
}
