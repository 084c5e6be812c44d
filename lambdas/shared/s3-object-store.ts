import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from './object-store';

/** ObjectStore over the AWS SDK v3 S3 client (the emulator and AWS alike). */
export function s3ObjectStore(s3: S3Client): ObjectStore {
  return {
    async get(bucket, key, versionId) {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId || undefined }));
      if (!response.Body) throw new Error(`s3://${bucket}/${key}: empty response body`);
      return response.Body.transformToByteArray();
    },
    async put(bucket, key, body, contentType) {
      const response = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
      return { versionId: response.VersionId };
    },
  };
}
