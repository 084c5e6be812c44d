/**
 * BatchObjects over a local directory (`<root>/<bucket>/<key>`), for the batch benchmark:
 * streamed reads, ranged reads with a file handle, and concatenation by streaming appends.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BatchObjects } from '../lambdas/core/batch/batch-objects';

export function directoryBatchObjects(root: string): BatchObjects & { path(bucket: string, key: string): string; read(bucket: string, key: string): Promise<Buffer> } {
  const path = (bucket: string, key: string): string => join(root, bucket, key);
  return {
    path,
    read: (bucket, key) => readFile(path(bucket, key)),
    async *stream(input) {
      for await (const piece of createReadStream(path(input.bucket, input.key), { highWaterMark: 1 << 20 })) yield piece as Buffer;
    },
    async readRange(input, start, end) {
      const handle = await open(path(input.bucket, input.key), 'r');
      try {
        const buffer = Buffer.allocUnsafe(end - start);
        const { bytesRead } = await handle.read(buffer, 0, end - start, start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async put(bucket, key, body) {
      await mkdir(dirname(path(bucket, key)), { recursive: true });
      await writeFile(path(bucket, key), body);
    },
    async concatenate(bucket, key, parts) {
      await mkdir(dirname(path(bucket, key)), { recursive: true });
      const out = createWriteStream(path(bucket, key));
      out.setMaxListeners(0); // one pipeline per chunk, each adds listeners until it ends
      let bytes = 0;
      for (const part of parts) {
        if ('text' in part) {
          const chunk = Buffer.from(part.text);
          bytes += chunk.length;
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        } else {
          const source = createReadStream(path(bucket, part.key));
          source.on('data', (chunk) => (bytes += chunk.length));
          await pipeline(source, out, { end: false });
        }
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      return { bytes };
    },
  };
}
