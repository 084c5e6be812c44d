/**
 * MergeBatch's concatenation with a mocked S3: one PutObject of a known length streaming the
 * parts' GET bodies in order, a fallback when a size is unknown, and a refusal when a part's
 * size is not the one its checkpoint recorded.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import { s3StreamingConcatenation } from '../../../lambdas/merge-batch/s3-streaming-concatenation';

const s3Mock = mockClient(S3Client);
const OBJECTS: Record<string, string> = { 'runs/1.csv': 'a,1\nb,2\n', 'runs/2.csv': '', 'runs/3.csv': 'c,3\n' };

async function bodyText(body: unknown): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of body as Readable) pieces.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(pieces).toString('utf8');
}

describe('s3StreamingConcatenation', () => {
  const puts: { Key?: string; ContentLength?: number; ContentType?: string; text: string }[] = [];
  const fallbackCalls: string[] = [];
  const fallback = async (_bucket: string, key: string) => {
    fallbackCalls.push(key);
    return { bytes: -1 };
  };

  beforeEach(() => {
    s3Mock.reset();
    puts.length = 0;
    fallbackCalls.length = 0;
    s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const text = OBJECTS[input.Key];
      if (text === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: Readable.from([Buffer.from(text)]), ContentLength: Buffer.byteLength(text) };
    });
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Key: string; ContentLength: number; ContentType: string; Body: unknown }) => {
      puts.push({ Key: input.Key, ContentLength: input.ContentLength, ContentType: input.ContentType, text: await bodyText(input.Body) });
      return {};
    });
  });

  it('streams the header and the parts, in order, into one PutObject of their total length', async () => {
    // Prepare
    const concatenate = s3StreamingConcatenation(new S3Client({}), fallback);

    // Act
    const result = await concatenate('bucket', 'outbox/merged.csv', [{ text: 'name,n\n' }, { key: 'runs/1.csv', bytes: 8 }, { key: 'runs/2.csv', bytes: 0 }, { key: 'runs/3.csv', bytes: 4 }], 'text/csv');

    // Assess
    expect(result).toEqual({ bytes: 19 });
    expect(puts).toEqual([{ Key: 'outbox/merged.csv', ContentLength: 19, ContentType: 'text/csv', text: 'name,n\na,1\nb,2\nc,3\n' }]);
    expect(fallbackCalls).toEqual([]);
  });

  it('leaves a concatenation with a part of unknown size to the fallback (a multipart upload)', async () => {
    const concatenate = s3StreamingConcatenation(new S3Client({}), fallback);

    await expect(concatenate('bucket', 'outbox/merged.csv', [{ text: 'h\n' }, { key: 'runs/1.csv' }], 'text/csv')).resolves.toEqual({ bytes: -1 });

    expect(fallbackCalls).toEqual(['outbox/merged.csv']);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails, naming the part, when a part does not have the size its checkpoint recorded', async () => {
    const concatenate = s3StreamingConcatenation(new S3Client({}), fallback);

    await expect(concatenate('bucket', 'outbox/merged.csv', [{ key: 'runs/1.csv', bytes: 8 }, { key: 'runs/3.csv', bytes: 5 }], 'text/csv')).rejects.toThrow(
      's3://bucket/runs/3.csv has 4 bytes, 5 were expected',
    );
  });
});
