import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, AbortMultipartUploadCommand, GetObjectCommand, PutObjectCommand, type S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { BatchObjects } from '../core/batch/batch-objects';

/** S3 requires every part but the last to be at least 5 MiB. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * BatchObjects over S3 (AWS and s3rver alike): the input read as a stream or by byte range
 * of its exact version; a concatenation streamed into a multipart upload, never held whole.
 */
export function s3BatchObjects(s3: S3Client): BatchObjects {
  const body = async (bucket: string, key: string, versionId?: string, range?: string): Promise<Readable> => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId || undefined, Range: range }));
    if (!response.Body) throw new Error(`s3://${bucket}/${key}: empty response body`);
    return response.Body as Readable;
  };
  return {
    async *stream(input) {
      for await (const piece of await body(input.bucket, input.key, input.versionId)) yield piece as Uint8Array;
    },
    async readRange(input, start, end) {
      if (end <= start) return new Uint8Array();
      const response = await s3.send(new GetObjectCommand({ Bucket: input.bucket, Key: input.key, VersionId: input.versionId || undefined, Range: `bytes=${start}-${end - 1}` }));
      if (!response.Body) throw new Error(`s3://${input.bucket}/${input.key}: empty response body`);
      const bytes = await response.Body.transformToByteArray();
      if (bytes.length !== end - start) throw new Error(`s3://${input.bucket}/${input.key}: asked for bytes ${start}-${end - 1}, got ${bytes.length} bytes`);
      return bytes;
    },
    async put(bucket, key, content, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content, ContentType: contentType }));
    },
    async concatenate(bucket, key, parts, contentType) {
      let buffered: Buffer[] = [];
      let bufferedBytes = 0;
      let total = 0;
      let uploadId: string | undefined;
      const etags: { ETag: string; PartNumber: number }[] = [];
      const uploadPart = async (): Promise<void> => {
        if (uploadId === undefined) {
          uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }))).UploadId;
        }
        const partNumber = etags.length + 1;
        const response = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: Buffer.concat(buffered) }));
        etags.push({ ETag: String(response.ETag), PartNumber: partNumber });
        buffered = [];
        bufferedBytes = 0;
      };
      const append = async (piece: Buffer): Promise<void> => {
        buffered.push(piece);
        bufferedBytes += piece.length;
        total += piece.length;
        if (bufferedBytes >= PART_BYTES) await uploadPart();
      };
      try {
        for (const part of parts) {
          if ('text' in part) await append(Buffer.from(part.text, 'utf8'));
          else for await (const piece of await body(bucket, part.key)) await append(Buffer.from(piece as Uint8Array));
        }
        if (uploadId === undefined) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.concat(buffered), ContentType: contentType }));
          return { bytes: total };
        }
        if (bufferedBytes > 0) await uploadPart();
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: etags } }));
        return { bytes: total };
      } catch (error) {
        if (uploadId !== undefined) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
        throw error;
      }
    },
  };
}
