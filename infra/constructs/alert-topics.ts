import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

const CLOUDWATCH = new iam.ServicePrincipal('cloudwatch.amazonaws.com');

export interface AlertTopicsProps {
  readonly key: kms.Key;
  /** Prefix shared by every alarm name this stack creates; CloudWatch may publish only for those. */
  readonly alarmNamePrefix: string;
  readonly alarmEmail?: string;
}

/**
 * `thresholds`: entitlement threshold crossings, published by the consumer for the customer's
 * own subscribers. `alarms`: CloudWatch alarms on the pipeline, optionally mailed to an operator.
 * Both encrypted with the stack key and refusing non-TLS publishers.
 */
export class AlertTopics extends Construct {
  readonly thresholds: sns.Topic;
  readonly alarms: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.thresholds = new sns.Topic(this, 'Thresholds', {
      displayName: 'Tollgate entitlement thresholds',
      masterKey: props.key,
      enforceSSL: true,
    });

    this.alarms = new sns.Topic(this, 'Alarms', {
      displayName: 'Tollgate alarms',
      masterKey: props.key,
      enforceSSL: true,
    });

    // CloudWatch publishes alarm notifications as its service principal: it needs the topic
    // policy and the key policy, else alarms fire and nobody hears. Both limited to this
    // account's alarms with the stack's prefix (confused deputy). The key statement also
    // covers every other topic under the stack key that admits the alarms (the alerts topic).
    admitCloudWatchAlarms(this.alarms, props.alarmNamePrefix);
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [CLOUDWATCH],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms(stack, props.alarmNamePrefix),
      }),
    );

    if (props.alarmEmail !== undefined) {
      this.alarms.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
  }
}

/** This account's alarms whose names start with the stack's prefix. */
function fromOwnAlarms(stack: Stack, alarmNamePrefix: string) {
  return {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${alarmNamePrefix}*`,
    },
  };
}

/**
 * Lets CloudWatch publish this stack's alarms (names starting with `alarmNamePrefix`) to an
 * encrypted topic; the key side is the `CloudWatchAlarmsToEncryptedTopic` statement above.
 */
export function admitCloudWatchAlarms(topic: sns.ITopic, alarmNamePrefix: string): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [CLOUDWATCH],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: fromOwnAlarms(Stack.of(topic), alarmNamePrefix),
    }),
  );
}
