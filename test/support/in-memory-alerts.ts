/** In-memory alert store and publisher with the DynamoDB adapter's semantics, for unit tests. */
import type { Alert, AlertMessage } from '../../shared/alerts/alert.js';
import type { AlertListQuery, AlertPage, AlertPublisher, AlertStore } from '../../shared/alerts/ports.js';

export class InMemoryAlertStore implements AlertStore {
  readonly alerts = new Map<string, Alert>();
  readonly incidents = new Map<string, { alertId: string; open: boolean }>();

  async current(key: string): Promise<Alert | undefined> {
    const incident = this.incidents.get(key);
    return incident === undefined ? undefined : this.alerts.get(incident.alertId);
  }
  async get(id: string): Promise<Alert | undefined> {
    return this.alerts.get(id);
  }
  async open(alert: Alert): Promise<boolean> {
    if (this.incidents.get(alert.incidentKey)?.open === true || this.alerts.has(alert.id)) return false;
    this.incidents.set(alert.incidentKey, { alertId: alert.id, open: true });
    this.alerts.set(alert.id, alert);
    return true;
  }
  async update(alert: Alert): Promise<boolean> {
    if (this.alerts.get(alert.id)?.version !== alert.version - 1) return false;
    this.alerts.set(alert.id, alert);
    if (alert.state === 'resolved') this.incidents.set(alert.incidentKey, { alertId: alert.id, open: false });
    return true;
  }
  async list(query: AlertListQuery): Promise<AlertPage> {
    const alerts = [...this.alerts.values()]
      .filter((a) =>
        query.tenant === undefined ? a.state === (query.state ?? 'open') : a.tenant === query.tenant,
      )
      .filter((a) => query.state === undefined || a.state === query.state)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    return { alerts: alerts.slice(0, query.limit ?? 50) };
  }
}

export class RecordingAlertPublisher implements AlertPublisher {
  readonly messages: AlertMessage[] = [];
  failNext = 0;
  async publish(message: AlertMessage): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('topic unavailable');
    }
    this.messages.push(message);
  }
}
