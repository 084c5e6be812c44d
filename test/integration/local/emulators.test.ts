import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { S3rverEvent } from 's3rver';
import {
  awsClientConfig,
  lambdaEnvironmentForEmulators,
  RunningEmulators,
  startEmulators,
} from '../../../local/runtime/emulators';

/** Bytes that are not valid UTF-8, so any re-encoding or framing shows up. */
function binaryBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 131 + 7) % 256;
  return bytes;
}

async function createTable(dynamo: DynamoDBClient, name: string): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // A table is CREATING for a moment after CreateTable (dynalite as DynamoDB): wait until it is ACTIVE before using it.
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: name });
}

describe('local emulators (in memory)', () => {
  let emulators: RunningEmulators;
  let s3: S3Client;
  let dynamo: DynamoDBClient;
  let workDir: string;

  beforeAll(async () => {
    emulators = await startEmulators();
    s3 = new S3Client(awsClientConfig(emulators).s3);
    dynamo = new DynamoDBClient(awsClientConfig(emulators).dynamodb);
    workDir = await mkdtemp(join(tmpdir(), 'lumina-emulators-test-'));
    await s3.send(new CreateBucketCommand({ Bucket: 'artifacts' }));
  });

  afterAll(async () => {
    s3.destroy();
    dynamo.destroy();
    await emulators.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with distinct ports and S3RVER credentials', () => {
    // Act + Assess
    expect(emulators.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.s3Endpoint).not.toBe(emulators.dynamodbEndpoint);
    expect(emulators.credentials).toEqual({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  });

  it('stores a Buffer body byte for byte', async () => {
    // Prepare
    const body = binaryBytes(70_000);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'buffers/model.bin', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'buffers/model.bin' }));

    // Assess
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('stores a file stream body byte for byte (no aws-chunked framing left in the object)', async () => {
    // Prepare
    const body = binaryBytes(300_000);
    const file = join(workDir, 'dataset.bin');
    await writeFile(file, body);

    // Act
    await s3.send(
      new PutObjectCommand({ Bucket: 'artifacts', Key: 'streams/dataset.bin', Body: createReadStream(file) }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'streams/dataset.bin' }));

    // Assess
    expect(got.ContentLength).toBe(body.length);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('stores a generic Readable body with a declared length byte for byte', async () => {
    // Prepare
    const body = binaryBytes(50_000);

    // Act
    await s3.send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: 'streams/readable.bin',
        Body: Readable.from([body.subarray(0, 20_000), body.subarray(20_000)]),
        ContentLength: body.length,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'streams/readable.bin' }));

    // Assess
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('lists objects under a prefix', async () => {
    // Prepare
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'listing/a.csv', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'listing/b.csv', Body: 'b' }));

    // Act
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'artifacts', Prefix: 'listing/' }));

    // Assess
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['listing/a.csv', 'listing/b.csv']);
  });

  it('pages a ListObjectsV2 listing with continuation tokens (s3rver makes them with single DES, which needs the shim on OpenSSL 3)', async () => {
    // Prepare
    const keys = ['paged/1', 'paged/2', 'paged/3', 'paged/4', 'paged/5'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: key, Body: key }));

    // Act
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'artifacts', Prefix: 'paged/', MaxKeys: 2, ContinuationToken: token }));
      pages.push((page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    // Assess
    expect(pages).toEqual([['paged/1', 'paged/2'], ['paged/3', 'paged/4'], ['paged/5']]);
  });

  it('emits an S3 notification record for each put', async () => {
    // Prepare
    const events: S3rverEvent[] = [];
    const listener = (event: S3rverEvent): void => {
      events.push(event);
    };
    emulators.s3Server.on('event', listener);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'inbox/batch-1.csv', Body: 'id,x\n1,2\n' }));
    emulators.s3Server.off('event', listener);

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0].Records[0]).toMatchObject({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'artifacts' }, object: { key: 'inbox/batch-1.csv', size: 9 } },
    });
  });

  it('has no bucket versioning: s3rver 3.7.1 reads PutBucketVersioning as CreateBucket and keeps one version', async () => {
    // Act
    const enabling = s3
      .send(new PutBucketVersioningCommand({ Bucket: 'artifacts', VersioningConfiguration: { Status: 'Enabled' } }))
      .then(
        () => 'accepted',
        (error: Error) => error.name,
      );
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'models/card.json', Body: 'v1' }));
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'models/card.json', Body: 'v2' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'models/card.json' }));

    // Assess
    expect(await enabling).toBe('BucketAlreadyExists');
    expect(got.VersionId).toBeUndefined();
    expect(await got.Body!.transformToString()).toBe('v2');
  });

  it('puts and gets a DynamoDB item', async () => {
    // Prepare
    await createTable(dynamo, 'registry');

    // Act
    await dynamo.send(
      new PutItemCommand({ TableName: 'registry', Item: { pk: { S: 'model#1' }, version: { N: '3' } } }),
    );
    const got = await dynamo.send(new GetItemCommand({ TableName: 'registry', Key: { pk: { S: 'model#1' } } }));

    // Assess
    expect(got.Item).toEqual({ pk: { S: 'model#1' }, version: { N: '3' } });
  });

  it('gives Lambda bundles the endpoints, region, credentials and checksum settings', () => {
    // Act
    const environment = lambdaEnvironmentForEmulators(emulators, { controlEndpoint: 'http://127.0.0.1:9999' });

    // Assess
    expect(environment).toMatchObject({
      AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9999',
      AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:9999',
      AWS_ENDPOINT_URL_CLOUDWATCH: 'http://127.0.0.1:9999',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9999',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });
    expect(lambdaEnvironmentForEmulators(emulators)).not.toHaveProperty('AWS_ENDPOINT_URL_SNS');
  });
});

describe('local emulators with a state directory', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'lumina-state-test-'));
  });

  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('keeps objects and items across a restart', async () => {
    // Prepare
    const first = await startEmulators({ stateDir });
    const s3First = new S3Client(awsClientConfig(first).s3);
    const dynamoFirst = new DynamoDBClient(awsClientConfig(first).dynamodb);
    await s3First.send(new CreateBucketCommand({ Bucket: 'datasets' }));
    await s3First.send(new PutObjectCommand({ Bucket: 'datasets', Key: 'v1/train.csv', Body: 'a,b\n1,2\n' }));
    await createTable(dynamoFirst, 'features');
    await dynamoFirst.send(new PutItemCommand({ TableName: 'features', Item: { pk: { S: 'patient#7' } } }));
    s3First.destroy();
    dynamoFirst.destroy();
    await first.stop();

    // Act
    const second = await startEmulators({ stateDir });
    const s3Second = new S3Client(awsClientConfig(second).s3);
    const dynamoSecond = new DynamoDBClient(awsClientConfig(second).dynamodb);
    try {
      const object = await s3Second.send(new GetObjectCommand({ Bucket: 'datasets', Key: 'v1/train.csv' }));
      const item = await dynamoSecond.send(
        new GetItemCommand({ TableName: 'features', Key: { pk: { S: 'patient#7' } } }),
      );

      // Assess
      expect(await object.Body!.transformToString()).toBe('a,b\n1,2\n');
      expect(item.Item).toEqual({ pk: { S: 'patient#7' } });
      expect((await stat(join(stateDir, 's3'))).isDirectory()).toBe(true);
      expect((await stat(join(stateDir, 'dynamodb'))).isDirectory()).toBe(true);
    } finally {
      s3Second.destroy();
      dynamoSecond.destroy();
      await second.stop();
    }
  });

  it('removes its temporary S3 folder when stopped without a state directory', async () => {
    // Prepare
    const emulators = await startEmulators();

    // Act
    await emulators.stop();

    // Assess
    await expect(stat(emulators.s3Directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
