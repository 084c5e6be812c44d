import { randomUUID } from 'node:crypto';

/** The S3 notification record s3rver emits (the fields we read). */
export interface S3NotificationRecord {
  readonly eventName: string;
  readonly eventTime: string;
  readonly requestParameters?: { readonly sourceIPAddress?: string };
  readonly s3: {
    readonly bucket: { readonly name: string };
    readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string; readonly versionId?: string; readonly sequencer?: string };
  };
}

/** An EventBridge event envelope. */
export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

const REASONS: Record<string, string> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Post': 'CompleteMultipartUpload',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectRemoved:Delete': 'DeleteObject',
};

/**
 * Translates an S3 notification record into the event S3 sends to EventBridge when a
 * bucket has EventBridge notifications on ("Object Created" / "Object Deleted"), as
 * documented in the S3 user guide's EventBridge event message structure.
 */
export function toEventBridgeEvent(record: S3NotificationRecord, where: { account: string; region: string }): EventBridgeEvent | undefined {
  const created = record.eventName.startsWith('ObjectCreated:');
  const deleted = record.eventName.startsWith('ObjectRemoved:');
  if (!created && !deleted) return undefined;
  const { bucket, object } = record.s3;
  const detailObject: Record<string, unknown> = { key: object.key };
  if (object.size !== undefined) detailObject.size = object.size;
  if (object.eTag !== undefined) detailObject.etag = object.eTag;
  if (object.versionId !== undefined) detailObject['version-id'] = object.versionId;
  if (object.sequencer !== undefined) detailObject.sequencer = object.sequencer;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': created ? 'Object Created' : 'Object Deleted',
    source: 'aws.s3',
    account: where.account,
    time: record.eventTime.replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: [`arn:aws:s3:::${bucket.name}`],
    detail: {
      version: '0',
      bucket: { name: bucket.name },
      object: detailObject,
      'request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      requester: where.account,
      'source-ip-address': record.requestParameters?.sourceIPAddress ?? '127.0.0.1',
      reason: REASONS[record.eventName] ?? record.eventName,
      ...(deleted ? { 'deletion-type': 'Permanently Deleted' } : {}),
    },
  };
}
