/**
 * What batch inference needs from object storage. The S3 adapter is
 * lambdas/shared/s3-batch-objects.ts (ranged GETs, a multipart upload for the merge);
 * `memoryBatchObjects` serves the unit tests.
 */
import type { BatchInputObject } from './layout';

/**
 * One piece of a concatenated object: another object's bytes (with their size when known,
 * which lets the adapter stream one PUT of a known length and check every part), or literal
 * text (a header).
 */
export type ConcatenatedPart = { readonly key: string; readonly bytes?: number } | { readonly text: string };

export interface BatchObjects {
  /** The input object version as a stream of byte pieces. */
  stream(input: BatchInputObject): AsyncIterable<Uint8Array>;
  /** Bytes [start, end) of the input object version. */
  readRange(input: BatchInputObject, start: number, end: number): Promise<Uint8Array>;
  put(bucket: string, key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** Writes `key` as the parts one after another, in order; returns its size. */
  concatenate(bucket: string, key: string, parts: readonly ConcatenatedPart[], contentType: string): Promise<{ readonly bytes: number }>;
}

/** In-memory objects (`bucket/key` -> bytes); `versionId` is ignored. */
export function memoryBatchObjects(pieceSize = 64 * 1024): BatchObjects & { readonly objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  const read = (bucket: string, key: string): Uint8Array => {
    const body = objects.get(`${bucket}/${key}`);
    if (!body) throw Object.assign(new Error(`s3://${bucket}/${key} does not exist`), { name: 'NoSuchKey' });
    return body;
  };
  const bytes = (body: Uint8Array | string): Uint8Array => (typeof body === 'string' ? new TextEncoder().encode(body) : body);
  return {
    objects,
    async *stream(input) {
      const body = read(input.bucket, input.key);
      for (let at = 0; at < body.length; at += pieceSize) yield body.subarray(at, at + pieceSize);
    },
    async readRange(input, start, end) {
      return read(input.bucket, input.key).slice(start, end);
    },
    async put(bucket, key, body) {
      objects.set(`${bucket}/${key}`, bytes(body).slice());
    },
    async concatenate(bucket, key, parts) {
      const pieces = parts.map((part) => {
        if (!('key' in part)) return bytes(part.text);
        const body = read(bucket, part.key);
        if (part.bytes !== undefined && body.length !== part.bytes) throw new Error(`s3://${bucket}/${part.key} has ${body.length} bytes, ${part.bytes} were expected`);
        return body;
      });
      const joined = Buffer.concat(pieces);
      objects.set(`${bucket}/${key}`, new Uint8Array(joined));
      return { bytes: joined.length };
    },
  };
}
