import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MeterBatchResult } from '../../shared/metering/meter-batch.js';
import type { ConsumerObserver } from './consume-kinesis-event.js';

/** Batch outcomes as EMF metrics (the stack's alarms read `Quarantined`) and one log line. */
export function powertoolsObserver(logger: Logger, metrics: Metrics): ConsumerObserver {
  return {
    batchMetered({ stats, failedSequenceNumbers, errors }: MeterBatchResult) {
      metrics.addMetric('Events', MetricUnit.Count, stats.events);
      metrics.addMetric('Counted', MetricUnit.Count, stats.counted);
      metrics.addMetric('Duplicates', MetricUnit.Count, stats.duplicates);
      metrics.addMetric('Redelivered', MetricUnit.Count, stats.redelivered);
      const quarantined = Object.values(stats.quarantined).reduce((a, b) => a + (b ?? 0), 0);
      metrics.addMetric('Quarantined', MetricUnit.Count, quarantined);
      metrics.addMetric('CounterWrites', MetricUnit.Count, stats.counterWrites);
      metrics.addMetric('ThresholdsPublished', MetricUnit.Count, stats.thresholdsPublished);
      metrics.addMetric('RetriedRecords', MetricUnit.Count, failedSequenceNumbers.length);
      logger.info('batch metered', { stats, retryFrom: failedSequenceNumbers[0] });
      for (const error of errors) logger.error('batch record failed; Kinesis will retry it', error as Error);
    },
  };
}
