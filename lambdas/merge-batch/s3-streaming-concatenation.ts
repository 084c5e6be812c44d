import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { BatchObjects, ConcatenatedPart } from '../core/batch/batch-objects';

/** S3 takes at most 5 GB in one PutObject. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

type Concatenate = BatchObjects['concatenate'];

/**
 * Concatenation as one streamed PutObject of a known length, each part's GET body piped
 * through in order, when every part's size is known and the total fits one PUT; otherwise
 * `fallback` (a multipart upload). One pass over the bytes: a multipart upload costs S3 (and
 * the local emulator, which re-reads and re-hashes every part on completion) a second one.
 * A part whose size differs from the expected one fails the upload (the object changed).
 */
export function s3StreamingConcatenation(s3: S3Client, fallback: Concatenate): Concatenate {
  return async (bucket, key, parts, contentType) => {
    const sizes = parts.map((part) => ('key' in part ? part.bytes : Buffer.byteLength(part.text, 'utf8')));
    if (sizes.some((size) => size === undefined)) return fallback(bucket, key, parts, contentType);
    const total = (sizes as number[]).reduce((sum, size) => sum + size, 0);
    if (total > MAX_SINGLE_PUT_BYTES) return fallback(bucket, key, parts, contentType);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Readable.from(pieces(s3, bucket, parts)), ContentLength: total, ContentType: contentType }));
    return { bytes: total };
  };
}

async function* pieces(s3: S3Client, bucket: string, parts: readonly ConcatenatedPart[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (!('key' in part)) {
      yield Buffer.from(part.text, 'utf8');
      continue;
    }
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: part.key }));
    if (!response.Body) throw new Error(`s3://${bucket}/${part.key}: empty response body`);
    if (response.ContentLength !== part.bytes) throw new Error(`s3://${bucket}/${part.key} has ${response.ContentLength} bytes, ${part.bytes} were expected`);
    let read = 0;
    for await (const piece of response.Body as Readable) {
      read += (piece as Uint8Array).length;
      yield piece as Uint8Array;
    }
    if (read !== part.bytes) throw new Error(`s3://${bucket}/${part.key}: read ${read} bytes, ${part.bytes} were expected`);
  }
}
