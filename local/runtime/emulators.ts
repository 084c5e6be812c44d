/**
 * The local cloud's storage emulators: s3rver (S3) and dynalite (DynamoDB), in-process on
 * 127.0.0.1 with free ports, plus the client configuration and Lambda environment that reach them.
 *
 * s3rver 3.7.1 answers PutBucketVersioning / GetBucketVersioning with NotImplemented and keeps one
 * version per key, so versioned buckets run unversioned locally. Its ListObjectsV2 continuation
 * tokens need single DES, which OpenSSL 3 keeps out of Node's default provider: see
 * s3rver-des-shim.ts, installed before s3rver starts.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import dynalite from 'dynalite';
import { installS3rverDesShim } from './s3rver-des-shim';

/** s3rver accepts only this key pair; dynalite accepts any. */
export const EMULATOR_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

export const DEFAULT_LOCAL_REGION = 'us-east-1';

export interface EmulatorCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface EmulatorEndpoints {
  /** `http://127.0.0.1:PORT`; an IP host makes the SDK use path-style addressing. */
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly region: string;
  readonly credentials: EmulatorCredentials;
}

export interface RunningEmulators extends EmulatorEndpoints {
  /** The s3rver instance: `s3Server.on('event', …)` delivers S3 notification records. */
  readonly s3Server: S3rver;
  /** Where s3rver keeps objects (a temporary folder unless a stateDir was given). */
  readonly s3Directory: string;
  /** dynalite's LevelDB folder, or undefined when it runs in memory. */
  readonly dynamodbPath: string | undefined;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  /** Persist S3 objects under `<stateDir>/s3` and DynamoDB tables under `<stateDir>/dynamodb`. @default - temporary S3 folder, in-memory DynamoDB */
  readonly stateDir?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
}

const HOST = '127.0.0.1';

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const region = options.region ?? DEFAULT_LOCAL_REGION;
  const { stateDir } = options;
  const persistent = stateDir !== undefined;
  const s3Directory = persistent ? join(stateDir, 's3') : await mkdtemp(join(tmpdir(), 'lumina-s3-'));
  const dynamodbPath = persistent ? join(stateDir, 'dynamodb') : undefined;
  await mkdir(s3Directory, { recursive: true });
  if (dynamodbPath) await mkdir(dynamodbPath, { recursive: true });

  installS3rverDesShim();
  const s3Server = new S3rver({
    address: HOST,
    port: 0,
    silent: true,
    directory: s3Directory,
    resetOnClose: false,
    // Bucket names never reach s3rver as host names here: clients use path-style on an IP.
    vhostBuckets: false,
  });
  const s3Address = await s3Server.run();

  let dynamoServer: Server;
  try {
    dynamoServer = dynalite({ path: dynamodbPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await listen(dynamoServer);
  } catch (error) {
    await s3Server.close();
    throw error;
  }
  const dynamoAddress = dynamoServer.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all([closeS3(s3Server), closeServer(dynamoServer)]);
      if (!persistent) await rm(s3Directory, { recursive: true, force: true });
    })();
    return stopped;
  };

  return {
    s3Endpoint: `http://${HOST}:${s3Address.port}`,
    dynamodbEndpoint: `http://${HOST}:${dynamoAddress.port}`,
    region,
    credentials: { ...EMULATOR_CREDENTIALS },
    s3Server,
    s3Directory,
    dynamodbPath,
    stop,
  };
}

export interface EmulatorClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: EmulatorCredentials;
}

export interface S3EmulatorClientConfig extends EmulatorClientConfig {
  readonly forcePathStyle: true;
  /** s3rver stores aws-chunked framing verbatim: only checksum when an operation requires it. */
  readonly requestChecksumCalculation: 'WHEN_REQUIRED';
  readonly responseChecksumValidation: 'WHEN_REQUIRED';
}

/** SDK v3 client configuration for the emulators: `new S3Client(awsClientConfig(e).s3)`. */
export function awsClientConfig(endpoints: EmulatorEndpoints): {
  s3: S3EmulatorClientConfig;
  dynamodb: EmulatorClientConfig;
} {
  const common = { region: endpoints.region, credentials: { ...endpoints.credentials } };
  return {
    s3: {
      ...common,
      endpoint: endpoints.s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    dynamodb: { ...common, endpoint: endpoints.dynamodbEndpoint },
  };
}

export interface LambdaEmulatorEnvironmentOptions {
  /** The local control server that answers SNS, Step Functions, CloudWatch and EventBridge calls. @default - those services are left unset */
  readonly controlEndpoint?: string;
}

/** Environment variables that point an unmodified Lambda bundle's SDK clients at the local cloud. */
export function lambdaEnvironmentForEmulators(
  endpoints: EmulatorEndpoints,
  options: LambdaEmulatorEnvironmentOptions = {},
): Record<string, string> {
  const environment: Record<string, string> = {
    AWS_REGION: endpoints.region,
    AWS_DEFAULT_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
  if (options.controlEndpoint) {
    for (const service of ['SNS', 'SFN', 'CLOUDWATCH', 'EVENTBRIDGE']) {
      environment[`AWS_ENDPOINT_URL_${service}`] = options.controlEndpoint;
    }
  }
  return environment;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function closeS3(server: S3rver): Promise<void> {
  const closing = server.close();
  // SDK clients keep connections alive; without this close() waits for them to time out.
  server.httpServer?.closeAllConnections();
  await closing;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
