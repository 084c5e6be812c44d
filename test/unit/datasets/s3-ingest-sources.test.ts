/** The profile step's S3 adapters against the local S3 emulator (s3rver). */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ConfigReader, s3MaskKey, s3UploadReader } from '../../../lambdas/profile-dataset/s3-ingest-sources';
import { type RunningEmulators, awsClientConfig, startEmulators } from '../../../local/runtime/emulators';

const BUCKET = 'artifacts-ingest';
let emulators: RunningEmulators;
let s3: S3Client;

beforeAll(async () => {
  emulators = await startEmulators();
  s3 = new S3Client(awsClientConfig(emulators).s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3.destroy();
  await emulators.stop();
});

describe('profile step S3 adapters', () => {
  it('reads the upload with its user metadata and modification time', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/a.csv', Body: 'a,b\n1,2\n', Metadata: { 'lumina-uploaded-by': 'local%3Aalice' } }));

    const upload = await s3UploadReader(s3)(BUCKET, 'in/a.csv');

    expect(new TextDecoder().decode(upload.body)).toBe('a,b\n1,2\n');
    expect(upload.metadata).toEqual({ 'lumina-uploaded-by': 'local%3Aalice' });
    expect(upload.lastModified).toBeInstanceOf(Date);
  });

  it('reads a configuration object, and undefined when there is none', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cfg/project.config.json', Body: '{"piiPolicy":{}}' }));
    const read = s3ConfigReader(s3, BUCKET);

    expect(await read('cfg/project.config.json')).toBe('{"piiPolicy":{}}');
    expect(await read('cfg/missing.json')).toBeUndefined();
  });

  // Sequential on purpose: s3rver ignores If-None-Match on PUT, so the race the adapter guards against in S3 cannot be shown here.
  it('creates the masking key on first use and returns the same key afterwards; each project has its own', async () => {
    const key = 'projects/p1/secrets/pii-mask-key';

    const first = await s3MaskKey(s3, BUCKET, key)();
    const later = await s3MaskKey(s3, BUCKET, key)();

    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(later).toBe(first);
    expect(await s3MaskKey(s3, BUCKET, 'projects/p2/secrets/pii-mask-key')()).not.toBe(first);
  });

  it('refuses a key object that is not a key rather than masking with it', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'projects/p3/secrets/pii-mask-key', Body: 'password' }));

    await expect(s3MaskKey(s3, BUCKET, 'projects/p3/secrets/pii-mask-key')()).rejects.toThrow('does not hold a masking key (64 hex digits)');
  });
});
