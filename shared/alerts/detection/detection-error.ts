/** Errors of anomaly detection. Clients switch on `code`, never on the message. */
export type DetectionErrorCode =
  /** Detector options that `parseDetectorOptions` rejects; `field` names the option. */
  | 'invalid_detector_config'
  /** An hourly series or hour range that is not whole hours of finite, non-negative values. */
  | 'invalid_hourly_series';

export class DetectionError extends Error {
  override readonly name: string = 'DetectionError';
  readonly code: DetectionErrorCode;

  constructor(code: DetectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Bad detector options; `field` is the option to fix (`''`: the options object itself). */
export class DetectorConfigError extends DetectionError {
  override readonly name = 'DetectorConfigError';
  override readonly code = 'invalid_detector_config';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_detector_config', message);
  }
}

/** A point or an hour range that is not on whole hours, or a value that is not a finite amount ≥ 0. */
export class HourlySeriesError extends DetectionError {
  override readonly name = 'HourlySeriesError';
  override readonly code = 'invalid_hourly_series';

  constructor(message: string) {
    super('invalid_hourly_series', message);
  }
}
