/**
 * Pieces the scheduled functions (the invoice planner, the alert detector) share: an
 * EventBridge Scheduler schedule that invokes a function through a role only this account's
 * default schedule group can assume, an encrypted dead-letter queue, and IAM helpers.
 */
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { nagRef } from './nag-findings.js';
import type { TollgateFunction } from './tollgate-function.js';

export function allow(actions: string[], resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources });
}

/** `kms:ViaService` condition: the key is usable only through these services, in this region. */
export function viaService(scope: Construct) {
  const region = Stack.of(scope).region;
  return (...services: string[]) => ({
    StringEquals: {
      'kms:ViaService':
        services.length === 1
          ? `${services[0]}.${region}.amazonaws.com`
          : services.map((service) => `${service}.${region}.amazonaws.com`),
    },
  });
}

/** KMS-encrypted, TLS only, kept 14 days (the SQS maximum). */
export function encryptedDeadLetterQueue(
  scope: Construct,
  id: string,
  props: { readonly key: kms.IKey; readonly removalPolicy: RemovalPolicy },
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: props.removalPolicy,
  });
}

export interface ScheduledInvokeProps {
  /** The schedule's construct id, e.g. `PlannerSchedule`; its role is `ScheduleRole`. */
  readonly id: string;
  /** What runs, for descriptions: `invoice planner`. */
  readonly what: string;
  readonly function: TollgateFunction;
  readonly expression: string;
  readonly input: Record<string, unknown>;
  readonly retry: { readonly maxEventAge: Duration; readonly retryAttempts: number };
  /** Runs the scheduler could not deliver; encrypted with `key`. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly key: kms.IKey;
}

/**
 * The schedule invoking `function`. Its role is assumable by EventBridge Scheduler for this
 * account's default schedule group only (confused deputy); the target adds
 * lambda:InvokeFunction and sqs:SendMessage on the DLQ, and the key is usable through SQS only.
 */
export function scheduledInvoke(scope: Construct, props: ScheduledInvokeProps): scheduler.Schedule {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'ScheduleRole', {
    description: `Role EventBridge Scheduler invokes the ${stack.stackName} ${props.what} with`,
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      },
    }),
  });
  // The DLQ is encrypted with the stack key: sending to it takes a data key.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.key.keyArn],
      conditions: viaService(scope)('sqs'),
    }),
  );
  const schedule = new scheduler.Schedule(scope, props.id, {
    description: `Runs the Tollgate ${props.what}`,
    schedule: scheduler.ScheduleExpression.expression(props.expression),
    target: new targets.LambdaInvoke(props.function.function, {
      role,
      input: scheduler.ScheduleTargetInput.fromObject(props.input),
      maxEventAge: props.retry.maxEventAge,
      retryAttempts: props.retry.retryAttempts,
      deadLetterQueue: props.deadLetterQueue,
    }),
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagRef(props.function.function, 'Arn')}:*]`,
    reason: `From grantInvoke of the schedule target: the ${props.what} function and its versions and aliases, nothing else.`,
  });
  return schedule;
}
