import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readTollgateConfig, type TollgateConfig } from './config.js';
import { TollgateStack } from './tollgate-stack.js';

export interface TollgateApp {
  readonly app: App;
  readonly config: TollgateConfig;
  readonly stack: TollgateStack;
}

/**
 * Builds the app the CLI synthesizes (infra/app.ts) and the tests assert on: context is read
 * and validated first, then the stack is built, with the cdk-nag AwsSolutions checks
 * registered so that synthesis fails on any unacknowledged finding.
 */
export function createTollgateApp(props: AppProps = {}): TollgateApp {
  const app = new App(props);
  const config = readTollgateConfig(app.node);
  const stack = new TollgateStack(app, config.stackName, {
    config,
    description: 'Tollgate: usage-based billing (Kinesis -> Lambda -> DynamoDB, HTTP API, alerts)',
    // Production stacks keep their data; deleting one takes a deliberate step first.
    terminationProtection: config.removalPolicy === 'retain',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, config, stack };
}
