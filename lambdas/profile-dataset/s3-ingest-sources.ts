/**
 * The S3 reads and writes the profile step needs beyond ObjectStore: the upload with its
 * user metadata and modification time, the project's configuration object, and the
 * project's masking key (created on first use).
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReadConfigObject } from '../core/governance/project-policy';
import type { UploadedObject } from '../core/datasets/dataset-ingest';
import { isMissingObject } from '../shared/object-store';


export function s3UploadReader(s3: S3Client): (bucket: string, key: string, versionId?: string) => Promise<UploadedObject> {
  return async (bucket, key, versionId) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId || undefined }));
    if (!response.Body) throw new Error(`s3://${bucket}/${key}: empty response body`);
    return { body: await response.Body.transformToByteArray(), metadata: response.Metadata ?? {}, lastModified: response.LastModified };
  };
}

/** Reads a configuration object's text; undefined when there is none. */
export function s3ConfigReader(s3: S3Client, bucket: string): ReadConfigObject {
  return async (key) => {
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body ? await response.Body.transformToString('utf-8') : '';
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  };
}

/**
 * The project's masking key: 32 random bytes (hex) kept at `key`, written once with
 * If-None-Match so two first runs cannot leave different keys (the loser reads the
 * winner's; the local S3 emulator ignores If-None-Match, so there two simultaneous first runs
 * could still differ). Encrypted at rest with the bucket's KMS key; grant it to this function only.
 */
export function s3MaskKey(s3: S3Client, bucket: string, key: string): () => Promise<string> {
  const read = async (): Promise<string | undefined> => {
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = response.Body ? (await response.Body.transformToString('utf-8')).trim() : '';
      if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`s3://${bucket}/${key} does not hold a masking key (64 hex digits); restore it or remove it to start a new one (pseudonyms then change)`);
      return text;
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  };
  return async () => {
    const existing = await read();
    if (existing !== undefined) return existing;
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(32).toString('hex'), ContentType: 'text/plain', IfNoneMatch: '*' }));
    } catch (error) {
      if (!(error instanceof Error && (error.name === 'PreconditionFailed' || error.name === 'ConditionalRequestConflict'))) throw error;
    }
    const stored = await read();
    if (stored === undefined) throw new Error(`s3://${bucket}/${key}: the masking key was written but cannot be read back`);
    return stored;
  };
}
