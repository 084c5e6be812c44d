/**
 * Importing a dataset from a public source: an https URL (plain http only on loopback) or a public S3 object
 * (`s3://bucket/key`, e.g. from the AWS Open Data registry), stored with its source
 * attribution and integrity checked (size and, when given, SHA-256; a Content-Length the
 * body does not match is refused). Imports are cached by source: the cache keeps the bytes
 * and a manifest with the validators the server gave (ETag, Last-Modified), so a second
 * import with a known checksum does not touch the network and otherwise asks the server
 * only whether the object changed (a conditional GET answered 304 has no body).
 *
 * Nothing is written to the cache until the whole download has passed every check.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * Plain http only to this machine (a local mirror, a test server): nothing crosses a network
 * unencrypted, and the checksum and size checks apply the same.
 */
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?\/\S*$/;

export const PublicImportRequest = z
  .object({
    source: z
      .string()
      .min(1)
      .refine((s) => /^https:\/\/[^/\s]+\/\S*$/.test(s) || LOOPBACK_HTTP.test(s) || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+$/.test(s), {
        message: 'source must be an https:// URL, s3://bucket/key of a public object, or http:// on this machine (127.0.0.1, localhost, [::1])',
      }),
    /** Expected SHA-256 of the content, hex. */
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex digits')
      .transform((s) => s.toLowerCase())
      .optional(),
    /** Expected size in bytes. */
    bytes: z.number().int().nonnegative().optional(),
    /** Refuse anything larger. @default 2 GiB */
    maxBytes: z.number().int().positive().default(2 * 1024 ** 3),
    /** License, citation or provider to keep with the data. */
    attribution: z.string().max(2000).optional(),
  })
  .strict();
export type PublicImportRequest = z.input<typeof PublicImportRequest>;

export interface ImportManifest {
  readonly source: string;
  readonly url: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly contentType?: string;
  readonly attribution?: string;
  readonly fetchedAt: string;
}

export interface ImportResult {
  readonly manifest: ImportManifest;
  readonly data: Uint8Array;
  /** `cache`: no request made; `not-modified`: the server answered 304; `download`: fetched. */
  readonly from: 'cache' | 'not-modified' | 'download';
  /** Where the cache keeps the bytes (cache key). */
  readonly dataKey: string;
}

/** Bytes by key; `read` answers undefined for a key never written. */
export interface ImportCache {
  read(key: string): Promise<Uint8Array | undefined>;
  write(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
}

export interface PublicImportDeps {
  readonly fetch: typeof fetch;
  readonly cache: ImportCache;
  readonly now: () => Date;
}

export class ImportError extends Error {
  constructor(
    readonly source: string,
    readonly reason: 'http' | 'size' | 'checksum' | 'network',
    message: string,
  ) {
    super(`import of ${source} failed: ${message}`);
    this.name = 'ImportError';
  }
}

/** The https URL of a source (public S3 objects are read anonymously over https). */
export function sourceUrl(source: string): string {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (!s3) return source;
  const key = s3[2].split('/').map(encodeURIComponent).join('/');
  return `https://${s3[1]}.s3.amazonaws.com/${key}`;
}

const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Cache keys of a source: stable, one folder per source. */
export function importCacheKeys(source: string): { manifest: string; data: string } {
  const folder = `imports/${sha256Hex(source).slice(0, 32)}`;
  return { manifest: `${folder}/manifest.json`, data: `${folder}/data` };
}

async function readBody(response: Response, source: string, maxBytes: number): Promise<Uint8Array> {
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw new ImportError(source, 'size', `the server declares ${declared} bytes, above the limit of ${maxBytes}`);
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ImportError(source, 'size', `more than ${maxBytes} bytes; refusing the rest`);
    }
    chunks.push(value);
  }
  if (declared !== null && Number(declared) !== total) throw new ImportError(source, 'size', `the server declared ${declared} bytes but sent ${total} (truncated download)`);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return data;
}

function checkExpectations(source: string, data: Uint8Array, sha: string, request: z.output<typeof PublicImportRequest>): void {
  if (request.bytes !== undefined && data.byteLength !== request.bytes) throw new ImportError(source, 'size', `expected ${request.bytes} bytes, got ${data.byteLength}`);
  if (request.sha256 !== undefined && sha !== request.sha256) throw new ImportError(source, 'checksum', `expected SHA-256 ${request.sha256}, got ${sha}`);
}

export async function importPublicDataset(input: PublicImportRequest, deps: PublicImportDeps): Promise<ImportResult> {
  const request = PublicImportRequest.parse(input);
  const { source } = request;
  const keys = importCacheKeys(source);
  const cachedManifestBytes = await deps.cache.read(keys.manifest);
  const cached = cachedManifestBytes ? (JSON.parse(Buffer.from(cachedManifestBytes).toString('utf8')) as ImportManifest) : undefined;
  const cachedData = async (): Promise<Uint8Array | undefined> => {
    const data = await deps.cache.read(keys.data);
    // A cache entry that no longer matches its manifest is treated as absent.
    return data && sha256Hex(data) === cached?.sha256 ? data : undefined;
  };

  if (cached && request.sha256 !== undefined && cached.sha256 === request.sha256) {
    const data = await cachedData();
    if (data) return { manifest: cached, data, from: 'cache', dataKey: keys.data };
  }

  const url = sourceUrl(source);
  const headers: Record<string, string> = {};
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
  let response: Response;
  try {
    response = await deps.fetch(url, { headers, redirect: 'follow' });
  } catch (error) {
    throw new ImportError(source, 'network', (error as Error).message);
  }
  if (response.status === 304 && cached) {
    const data = await cachedData();
    if (data) {
      checkExpectations(source, data, cached.sha256, request);
      return { manifest: cached, data, from: 'not-modified', dataKey: keys.data };
    }
    // The cached bytes are gone: fetch them again without validators.
    response = await deps.fetch(url, { redirect: 'follow' });
  }
  if (!response.ok) throw new ImportError(source, 'http', `HTTP ${response.status} ${response.statusText}`.trim());
  // fetch follows redirects, also from https to plain http: refuse a body that crossed a network unencrypted.
  if (response.redirected && response.url.startsWith('http:') && !LOOPBACK_HTTP.test(response.url)) {
    throw new ImportError(source, 'http', `redirected to ${response.url}, which is not https`);
  }

  const data = await readBody(response, source, request.maxBytes);
  const sha = sha256Hex(data);
  checkExpectations(source, data, sha, request);
  const manifest: ImportManifest = {
    source,
    url,
    sha256: sha,
    bytes: data.byteLength,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
    contentType: response.headers.get('content-type') ?? undefined,
    attribution: request.attribution ?? cached?.attribution,
    fetchedAt: deps.now().toISOString(),
  };
  await deps.cache.write(keys.data, data, manifest.contentType ?? 'application/octet-stream');
  await deps.cache.write(keys.manifest, JSON.stringify(manifest, null, 2), 'application/json');
  return { manifest, data, from: 'download', dataKey: keys.data };
}
