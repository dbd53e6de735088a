import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

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
    // account's alarms with the stack's prefix (confused deputy).
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${props.alarmNamePrefix}*`,
      },
    };
    this.alarms.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.alarms.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );

    if (props.alarmEmail !== undefined) {
      this.alarms.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
  }
}
