import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag 3 names each wildcard finding after the flattened CloudFormation reference, e.g.
 * `AwsSolutions-IAM5[Resource::<QuarantineTable1234ABCD.Arn>/index/*]`, and an acknowledgement
 * must match that id exactly. These helpers build the reference from the construct, so the
 * acknowledgement follows the resource if its logical id changes.
 */
export function nagRef(construct: IConstruct, attribute?: string): string {
  const element = construct.node.defaultChild as CfnElement | undefined;
  if (element === undefined) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to reference`);
  }
  const logicalId = Stack.of(construct).resolve(element.logicalId) as string;
  return attribute === undefined ? `<${logicalId}>` : `<${logicalId}.${attribute}>`;
}

/**
 * Key grants (`grantEncryptDecrypt`, `grantEncrypt`, the grants that DynamoDB, Kinesis, SNS and
 * SQS add for an encrypted resource) name these action families; the resource is the stack key.
 */
export const kmsWildcardFindings = ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'] as const;

export const KMS_REASON =
  'Key grants on the one stack key, the only resource of the statement: DynamoDB, Kinesis, SNS, SQS and S3 encryption call the GenerateDataKey* and ReEncrypt* variants they need.';
