/** Values the integration globalSetup hands to test files through `inject()`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the DynamoDB Local started for this run. */
    dynamodbEndpoint: string;
    /** Base URL (plain HTTP) of the Kinesis emulator started for this run. */
    kinesisEndpoint: string;
  }
}

export {};
