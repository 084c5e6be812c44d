/**
 * Lambda function URLs in the local cloud: each `AWS::Lambda::Url` in a template gets an
 * HTTP server on 127.0.0.1 that turns requests into the function URL event (payload format
 * 2.0), invokes the function through the local Lambda runtime and turns its result into the
 * HTTP response the way the service does (a `statusCode` object is used as given; any other
 * result is a 200 JSON body; an unhandled error is a 502).
 *
 * AuthType AWS_IAM fails closed, as in the cloud: a request needs an identity. The local
 * cloud does not verify SigV4 signatures; it takes the caller from the access key id of a
 * SigV4 `Authorization` header (`arn:aws:sts::<account>:assumed-role/<key id>/local`) or, for
 * tools and tests, from an `x-lumina-principal` header holding a role or assumed-role ARN.
 * Without either, 403 like the service.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeResult } from './lambda-runtime';

export interface FunctionUrlSpec {
  readonly functionName: string;
  readonly authType: 'AWS_IAM' | 'NONE';
  readonly accountId: string;
  readonly region: string;
}

export interface RegisteredFunctionUrl extends FunctionUrlSpec {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
}

/** The largest request body a function URL accepts (the service's 6 MB payload limit). */
export const MAX_FUNCTION_URL_BODY_BYTES = 6 * 1024 * 1024;

type Invoke = (functionName: string, event: unknown) => Promise<InvokeResult>;

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json|[^;]*\+xml)/i;

export class LocalFunctionUrls {
  private readonly servers: { spec: RegisteredFunctionUrl; server: Server }[] = [];

  constructor(
    private readonly invoke: Invoke,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async register(spec: FunctionUrlSpec): Promise<RegisteredFunctionUrl> {
    const server = createServer((request, response) => {
      this.handle(spec, request, response).catch((error: unknown) => {
        this.log(`function URL of ${spec.functionName} failed a request: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ Message: 'Internal Server Error' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const registered = { ...spec, url };
    this.servers.push({ spec: registered, server });
    return registered;
  }

  /** DeleteFunctionUrlConfig: stops serving the URL (by its address). Returns whether it was served. */
  async unregister(url: string): Promise<boolean> {
    const index = this.servers.findIndex((s) => s.spec.url === url);
    if (index === -1) return false;
    const [{ server }] = this.servers.splice(index, 1);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return true;
  }

  list(): RegisteredFunctionUrl[] {
    return this.servers.map((s) => s.spec);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.servers.length = 0;
  }

  private async handle(spec: FunctionUrlSpec, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_FUNCTION_URL_BODY_BYTES) {
        response.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' }));
        request.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const principal = callerPrincipal(request, spec.accountId);
    if (spec.authType === 'AWS_IAM' && !principal) {
      response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: 'Forbidden' }));
      return;
    }
    const event = functionUrlEvent(request, body, spec, principal);
    const result = await this.invoke(spec.functionName, event);
    writeResult(result, response);
  }
}

function callerPrincipal(request: IncomingMessage, accountId: string): { userArn: string; accessKey: string } | undefined {
  const explicit = request.headers['x-lumina-principal'];
  if (typeof explicit === 'string' && /^arn:aws:(iam|sts)::\d{12}:(role|assumed-role)\/\S+$/.test(explicit)) return { userArn: explicit, accessKey: 'LOCAL' };
  const authorization = request.headers.authorization;
  const credential = typeof authorization === 'string' ? /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\//.exec(authorization) : null;
  if (credential) return { userArn: `arn:aws:sts::${accountId}:assumed-role/${credential[1]}/local`, accessKey: credential[1] };
  return undefined;
}

/** The function URL request event, payload format version 2.0. */
export function functionUrlEvent(request: IncomingMessage, body: Buffer, spec: FunctionUrlSpec, principal?: { userArn: string; accessKey: string }): unknown {
  const url = new URL(request.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const accountPrincipal = principal ? { iam: { accessKey: principal.accessKey, accountId: spec.accountId, callerId: principal.accessKey, userArn: principal.userArn, userId: principal.accessKey } } : undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: spec.accountId,
      apiId: 'local',
      ...(accountPrincipal ? { authorizer: accountPrincipal } : {}),
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: { method: request.method ?? 'GET', path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

function writeResult(result: InvokeResult, response: ServerResponse): void {
  if (result.functionError) {
    response.writeHead(502, { 'content-type': 'application/json', 'x-amzn-errortype': 'Lambda.FunctionError' }).end(JSON.stringify({ Message: 'Internal Server Error' }));
    return;
  }
  const payload = result.payload as Record<string, unknown> | null;
  const headers: Record<string, string> = { 'x-amzn-requestid': result.requestId };
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && typeof payload.statusCode === 'number') {
    for (const [name, value] of Object.entries((payload.headers as Record<string, unknown>) ?? {})) headers[name.toLowerCase()] = String(value);
    const cookies = Array.isArray(payload.cookies) ? payload.cookies.map(String) : [];
    const raw = typeof payload.body === 'string' ? payload.body : payload.body === undefined ? '' : JSON.stringify(payload.body);
    const bytes = payload.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    response.writeHead(payload.statusCode, { ...headers, ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
    response.end(bytes);
    return;
  }
  // Anything else is the body itself, as JSON (the service's inferred response format).
  response.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(payload));
}
