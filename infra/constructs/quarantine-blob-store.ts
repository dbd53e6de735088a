import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface QuarantineBlobStoreProps {
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** Empty the buckets on stack deletion (dev stacks only). */
  readonly autoDeleteObjects: boolean;
}

/** Objects move to a Glacier class after this; nothing ever expires. */
const ARCHIVE_AFTER = Duration.days(90);
const ACCESS_LOG_RETENTION = Duration.days(365);

/**
 * Original bytes of quarantined records larger than the inline limit (see docs/data-model.md).
 * Kept forever: they are the evidence behind a rejected charge. Versioned so an overwrite
 * cannot lose them, with server access logs in a bucket of their own.
 */
export class QuarantineBlobStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: QuarantineBlobStoreProps) {
    super(scope, id);

    // Server access logs cannot be delivered to an SSE-KMS bucket, hence SSE-S3 here. cdk-nag's
    // S1 accepts a bucket without logs of its own when it is another bucket's log destination.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: ACCESS_LOG_RETENTION }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });

    this.bucket = new s3.Bucket(this, 'Blobs', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // `Bucket` is an `IBucket`; the cast only bridges exactOptionalPropertyTypes (`isWebsite?`).
      serverAccessLogsBucket: this.accessLogBucket as s3.IBucket,
      serverAccessLogsPrefix: 'quarantine-blobs/',
      lifecycleRules: [
        {
          id: 'archive-after-90-days',
          // Instant Retrieval: an operator inspecting or replaying an old quarantined record
          // reads it directly, without a restore job.
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: ARCHIVE_AFTER },
          ],
          noncurrentVersionTransitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: ARCHIVE_AFTER },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });
  }
}
