/**
 * One S3 bucket as the small interface the project report and the labels ingestion read
 * through (the labels Lambda in AWS, `lumina labels put` and `lumina report` locally): get
 * (undefined when the key does not exist), put, and list with paging. Listing uses a Prefix
 * and no Delimiter (s3rver loses deep prefixes with a Delimiter and no Prefix).
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LabelsBucket } from '../core/performance/ingest-labels';

export interface ListedObject {
  readonly key: string;
  readonly lastModified?: Date;
  readonly size?: number;
}

export interface ReportBucket extends LabelsBucket {
  readonly name: string;
  /** Every object under the prefix with its time and size. */
  listObjects(prefix: string): Promise<readonly ListedObject[]>;
}

export function s3Bucket(s3: S3Client, bucket: string): ReportBucket {
  const listObjects = async (prefix: string): Promise<ListedObject[]> => {
    const objects: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) objects.push({ key: o.Key, lastModified: o.LastModified, size: o.Size });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  };
  return {
    name: bucket,
    async get(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
      } catch (error) {
        if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey')) return undefined;
        throw error;
      }
    },
    async put(key, body, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async list(prefix) {
      return (await listObjects(prefix)).map((o) => o.key);
    },
    listObjects,
  };
}
