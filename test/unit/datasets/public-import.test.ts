import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ZodError } from 'zod';
import { type ImportCache, ImportError, PublicImportRequest, importCacheKeys, importPublicDataset, sourceUrl } from '../../../lambdas/core/datasets/public-import';

const CSV = 'patient_id,age,stopped_within_30d\nP1,50,0\nP2,61,1\n';
const SHA = createHash('sha256').update(CSV).digest('hex');

interface Served {
  body: string;
  etag: string;
  status?: number;
}

describe('importPublicDataset (through a real local HTTP server)', () => {
  let server: Server;
  let base: string;
  let served: Served;
  const requests: { url: string; ifNoneMatch?: string; downloaded: boolean }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const ifNoneMatch = req.headers['if-none-match'];
      if (served.status) {
        requests.push({ url: req.url!, ifNoneMatch, downloaded: false });
        res.writeHead(served.status).end('nope');
        return;
      }
      if (ifNoneMatch === served.etag) {
        requests.push({ url: req.url!, ifNoneMatch, downloaded: false });
        res.writeHead(304).end();
        return;
      }
      requests.push({ url: req.url!, ifNoneMatch, downloaded: true });
      res.writeHead(200, { etag: served.etag, 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(served.body)) });
      res.end(served.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    served = { body: CSV, etag: '"v1"' };
    requests.length = 0;
  });

  function memoryCache(): ImportCache & { keys: () => string[] } {
    const objects = new Map<string, Uint8Array>();
    return {
      async read(key) {
        return objects.get(key);
      },
      async write(key, body) {
        objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
      },
      keys: () => [...objects.keys()].sort(),
    };
  }
  // The public https host is served by the local server: same fetch, same HTTP, no internet.
  const deps = (cache: ImportCache) => ({
    cache,
    now: () => new Date('2026-12-01T00:00:00Z'),
    fetch: ((url: string, init?: RequestInit) => fetch(url.replace('https://data.example.org', base), init)) as typeof fetch,
  });
  const source = 'https://data.example.org/diabetes/patients.csv';

  it('downloads once, keeps source attribution and checksum, and answers later imports from the cache', async () => {
    const cache = memoryCache();
    const first = await importPublicDataset({ source, sha256: SHA, attribution: 'Example Open Data, CC-BY-4.0' }, deps(cache));
    expect(first.from).toBe('download');
    expect(Buffer.from(first.data).toString()).toBe(CSV);
    expect(first.manifest).toMatchObject({ source, sha256: SHA, bytes: Buffer.byteLength(CSV), etag: '"v1"', attribution: 'Example Open Data, CC-BY-4.0', contentType: 'text/csv' });
    expect(cache.keys()).toEqual([importCacheKeys(source).data, importCacheKeys(source).manifest].sort());

    const second = await importPublicDataset({ source, sha256: SHA }, deps(cache));
    expect(second.from).toBe('cache');
    expect(second.manifest.attribution).toBe('Example Open Data, CC-BY-4.0');
    expect(requests).toHaveLength(1);
  });

  it('without a checksum asks the server whether the object changed and downloads only when it did', async () => {
    const cache = memoryCache();
    await importPublicDataset({ source }, deps(cache));
    const again = await importPublicDataset({ source }, deps(cache));
    expect(again.from).toBe('not-modified');
    expect(requests.map((r) => [r.ifNoneMatch, r.downloaded])).toEqual([
      [undefined, true],
      ['"v1"', false],
    ]);
    served = { body: `${CSV}P3,70,0\n`, etag: '"v2"' };
    const changed = await importPublicDataset({ source }, deps(cache));
    expect(changed.from).toBe('download');
    expect(changed.manifest.etag).toBe('"v2"');
  });

  it('refuses a checksum mismatch, a size mismatch and a body over the limit, caching nothing', async () => {
    const cache = memoryCache();
    await expect(importPublicDataset({ source, sha256: '0'.repeat(64) }, deps(cache))).rejects.toThrow(`expected SHA-256 ${'0'.repeat(64)}, got ${SHA}`);
    await expect(importPublicDataset({ source, bytes: 3 }, deps(cache))).rejects.toThrow(`expected 3 bytes, got ${Buffer.byteLength(CSV)}`);
    await expect(importPublicDataset({ source, maxBytes: 10 }, deps(cache))).rejects.toThrow('above the limit of 10');
    expect(cache.keys()).toEqual([]);
  });

  it('reports HTTP errors and unreachable hosts with the source', async () => {
    served = { body: '', etag: '"x"', status: 404 };
    await expect(importPublicDataset({ source }, deps(memoryCache()))).rejects.toThrow(`import of ${source} failed: HTTP 404`);
    const offline = { ...deps(memoryCache()), fetch: (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch };
    const error = await importPublicDataset({ source }, offline).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).reason).toBe('network');
  });

  it('validates the request at the edge', async () => {
    await expect(importPublicDataset({ source: 'http://insecure.example/x.csv' }, deps(memoryCache()))).rejects.toBeInstanceOf(ZodError);
    await expect(importPublicDataset({ source, sha256: 'abc' }, deps(memoryCache()))).rejects.toThrow('sha256 must be 64 hex digits');
  });
});

describe('sourceUrl', () => {
  it('reads public S3 objects anonymously over https and leaves https URLs alone', () => {
    expect(sourceUrl('s3://diabetes-open-data/2024/patients v1.csv')).toBe('https://diabetes-open-data.s3.amazonaws.com/2024/patients%20v1.csv');
    expect(sourceUrl('https://example.org/a.csv')).toBe('https://example.org/a.csv');
  });
});

describe('importPublicDataset sources', () => {
  it('accepts plain http on this machine only', () => {
    for (const source of ['http://127.0.0.1:8080/a.csv', 'http://localhost/a.csv', 'http://[::1]:9000/data/a.csv']) {
      expect(PublicImportRequest.safeParse({ source }).success).toBe(true);
    }
    for (const source of ['http://10.0.0.5/a.csv', 'http://127.0.0.1.example.org/a.csv', 'http://localhost.evil/a.csv', 'ftp://127.0.0.1/a.csv']) {
      expect(PublicImportRequest.safeParse({ source }).success).toBe(false);
    }
  });

  it('refuses a body that was redirected to plain http off this machine', async () => {
    const redirected = new Response('a,b\n1,2\n', { status: 200 });
    Object.defineProperty(redirected, 'redirected', { value: true });
    Object.defineProperty(redirected, 'url', { value: 'http://mirror.example.org/a.csv' });
    const deps = { cache: { read: async () => undefined, write: async () => undefined }, now: () => new Date(), fetch: (async () => redirected) as unknown as typeof fetch };

    await expect(importPublicDataset({ source: 'https://data.example.org/a.csv' }, deps)).rejects.toThrow('import of https://data.example.org/a.csv failed: redirected to http://mirror.example.org/a.csv, which is not https');
  });
});
