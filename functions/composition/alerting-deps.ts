import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DetectorOptions } from '../../shared/alerts/detection/detector-options.js';
import type { IncidentOptions } from '../../shared/alerts/incident.js';
import type { AlertPublisher } from '../../shared/alerts/ports.js';
import type { DetectionDeps } from '../../shared/alerts/run-detection.js';
import { upcomingInvoice } from '../../shared/invoicing/invoice-actions.js';
import type { InvoicingDeps } from '../../shared/invoicing/invoicing-deps.js';
import { InvoicingError } from '../../shared/invoicing/invoicing-error.js';
import { SettledHistoryCache } from '../../shared/usage/settled-history-cache.js';
import { DynamoDbAlertStore } from '../adapters/dynamodb/dynamodb-alert-store.js';
import { DynamoDbConfigStore } from '../adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbCreditStore } from '../adapters/dynamodb/dynamodb-credit-store.js';
import { DynamoDbInvoiceStore } from '../adapters/dynamodb/dynamodb-invoice-store.js';
import { DynamoDbUsageReader } from '../adapters/dynamodb/dynamodb-usage-reader.js';
import { cachedActiveCatalog } from './billing-deps.js';

export interface AlertingWiring {
  readonly dynamodb: DynamoDBClient;
  readonly tables: {
    readonly usage: string;
    readonly config: string;
    readonly alerts: string;
    /** Credit grants live in the invoices table. */
    readonly invoices: string;
  };
  readonly publisher: AlertPublisher;
  readonly clock: () => number;
  readonly detector: DetectorOptions;
  readonly minSpendPerHour: number;
  readonly incidents?: IncidentOptions;
}

/** The detector's adapters over DynamoDB, shared by both composition roots. */
export function alertingDeps(wiring: AlertingWiring): DetectionDeps & { alerts: DynamoDbAlertStore } {
  const config = new DynamoDbConfigStore(wiring.dynamodb, wiring.tables.config);
  const catalog = cachedActiveCatalog(config, 30_000, wiring.clock);
  const usage = new DynamoDbUsageReader(wiring.dynamodb, wiring.tables.usage);
  const credits = new DynamoDbCreditStore(wiring.dynamodb, wiring.tables.invoices);
  const invoicing: InvoicingDeps = {
    catalog,
    tenants: config,
    usage,
    invoices: new DynamoDbInvoiceStore(wiring.dynamodb, wiring.tables.invoices),
    credits,
    clock: wiring.clock,
    defaultGraceHours: 12,
  };
  return {
    catalog,
    tenants: config,
    // The four weeks of history read once an hour per tenant, not every run (deps live as long
    // as the Lambda container, or the local runtime).
    usage: new SettledHistoryCache(usage, { clock: wiring.clock }),
    alerts: new DynamoDbAlertStore(wiring.dynamodb, wiring.tables.alerts),
    credits,
    upcoming: async (tenant) => {
      try {
        return await upcomingInvoice(invoicing, tenant);
      } catch (error) {
        if (error instanceof InvoicingError) return undefined; // not billable: no spend to watch
        throw error;
      }
    },
    publisher: wiring.publisher,
    clock: wiring.clock,
    detector: wiring.detector,
    minSpendPerHour: wiring.minSpendPerHour,
    ...(wiring.incidents === undefined ? {} : { incidents: wiring.incidents }),
  };
}
