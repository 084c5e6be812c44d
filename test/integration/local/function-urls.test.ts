import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PLATFORM_STACK_NAME } from '../../../lib/app';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud';
import { synthFunctionUrlFixtureApp } from '../../fixtures/apps/function-url-fixture-app';

let now = new Date('2026-03-02T10:00:00.000Z');

describe('local cloud: function URLs and EventBridge Scheduler from the template', () => {
  let cdkOut: string;
  let cloud: LocalCloud;
  let outputs: Readonly<Record<string, string>>;

  beforeAll(async () => {
    cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-it-url-cdk-'));
    synthFunctionUrlFixtureApp(cdkOut);
    cloud = await startLocalCloud({ cdkOut, clock: () => new Date(now), alarmEvaluationIntervalMs: 0 });
    outputs = cloud.stackOutputs(PLATFORM_STACK_NAME);
  });
  afterAll(async () => {
    await cloud?.stop();
    fs.rmSync(cdkOut, { recursive: true, force: true });
  });

  it('serves each function URL on 127.0.0.1 and lists it', () => {
    expect(outputs.EchoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(outputs.OpenEchoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const listed = cloud.listFunctionUrls();
    expect(listed.find((u) => u.url === outputs.EchoUrl)?.authType).toBe('AWS_IAM');
    expect(listed.find((u) => u.url === outputs.OpenEchoUrl)?.authType).toBe('NONE');
  });

  it('refuses an IAM-authorised URL without a caller identity, like the service', async () => {
    const response = await fetch(`${outputs.EchoUrl}anything`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ Message: 'Forbidden' });
  });

  it('passes a payload 2.0 event with the caller, path, query and body, and returns the handler response', async () => {
    const caller = 'arn:aws:sts::000000000000:assumed-role/ModelApprover/alice';
    const response = await fetch(`${outputs.EchoUrl}models/adherence?x=1&y=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lumina-principal': caller },
      body: JSON.stringify({ age: 61 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(await response.json()).toEqual({
      method: 'POST',
      path: '/models/adherence',
      query: 'x=1&y=2',
      body: '{"age":61}',
      base64: false,
      caller,
      greeting: 'hello from the template',
    });
  });

  it('takes the caller from a SigV4 Authorization header, base64-encodes binary bodies, and keeps status codes', async () => {
    const response = await fetch(`${outputs.EchoUrl}teapot`, {
      method: 'PUT',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIALOCAL123/20260302/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc', 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 1, 2, 255]),
    });
    expect(response.status).toBe(418);
    const echoed = (await response.json()) as { caller: string; body: string; base64: boolean };
    expect(echoed.caller).toBe('arn:aws:sts::000000000000:assumed-role/AKIALOCAL123/local');
    expect(echoed.base64).toBe(true);
    expect(Buffer.from(echoed.body, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers a non-HTTP-shaped result as 200 JSON and an unhandled error as 502, on the open URL', async () => {
    const plain = await fetch(`${outputs.OpenEchoUrl}plain`);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ greeting: 'hello from the template' });
    const failed = await fetch(`${outputs.OpenEchoUrl}fail`);
    expect(failed.status).toBe(502);
  });

  it('fires a Scheduler schedule when it is due by the cloud clock, once per check, with the target input', async () => {
    const machine = outputs.FixtureScheduledArn!;
    expect(await cloud.runDueSchedules()).toEqual([]);
    now = new Date('2026-03-02T11:00:30.000Z');
    const fired = await cloud.runDueSchedules();
    expect(fired).toHaveLength(1);
    await cloud.waitForIdle();
    const runs = cloud.listExecutions(machine);
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('SUCCEEDED');
    expect(runs[0].input).toEqual({ trigger: 'schedule' });
    expect(await cloud.runDueSchedules()).toEqual([]);
  });
});
