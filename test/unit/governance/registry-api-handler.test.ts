/**
 * The registry-api function URL handler with mocked AWS clients: synthetic payload v2
 * events signed by the persona roles, DynamoDB answered by a small in-memory table that
 * honours the registry's condition expressions, S3 holding the project configuration.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { registerModelVersion } from '../../../lambdas/core/registry/model-version';
import { setStage } from '../../../lambdas/core/registry/stages';
import { dynamoDbRegistryStore } from '../../../lambdas/shared/dynamodb-registry-store';
import { steppingClock, versionRequest } from '../registry/registry-fixtures';
import { COMPLETE_NARRATIVE, SUBGROUP_REPORT } from './governance-fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = { functionName: 'registry-api', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:registry-api' } as Context;

const ACCOUNT = '123456789012';
const ROLES = { DATA_SCIENTIST_ROLE_NAME: 'LuminaOps-DataScientist1A', ML_ENGINEER_ROLE_NAME: 'LuminaOps-MlEngineer2B', MODEL_APPROVER_ROLE_NAME: 'LuminaOps-ModelApprover3C' };
const session = (role: string, name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${name}`;
const APPROVER = session(ROLES.MODEL_APPROVER_ROLE_NAME, 'carol');
const ENGINEER = session(ROLES.ML_ENGINEER_ROLE_NAME, 'erin');
const SCIENTIST = session(ROLES.DATA_SCIENTIST_ROLE_NAME, 'dave');

type Handler = (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: Handler;

beforeAll(async () => {
  Object.assign(process.env, {
    MODEL_REGISTRY_TABLE: 'registry-table',
    AUDIT_TABLE: 'audit-table',
    ARTIFACT_BUCKET: 'artifacts-bucket',
    PERSONA_ACCOUNT: ACCOUNT,
    ...ROLES,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = (await import('../../../lambdas/registry-api/index')) as unknown as { handler: Handler });
});

type Item = Record<string, unknown> & { pk: string; sk: string };
let tables: Map<string, Map<string, Item>>;
let configs: Map<string, string>;

function conditionalCheckFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
}

/** A DynamoDB table per name, answering the expressions the registry and audit adapters send. */
function installFakeDynamoDb(): void {
  tables = new Map();
  const table = (name: string) => tables.get(name) ?? tables.set(name, new Map()).get(name)!;
  const id = (key: { pk: string; sk: string }) => `${key.pk}\u0000${key.sk}`;
  dynamo.on(GetCommand).callsFake((input) => ({ Item: structuredClone(table(input.TableName).get(id(input.Key))) }));
  dynamo.on(PutCommand).callsFake((input) => {
    const items = table(input.TableName);
    const existing = items.get(id(input.Item));
    if (input.ConditionExpression === 'attribute_not_exists(pk)' && existing) throw conditionalCheckFailed();
    if (input.ConditionExpression === '#c = :c' && existing?.[input.ExpressionAttributeNames['#c']] !== input.ExpressionAttributeValues[':c']) throw conditionalCheckFailed();
    items.set(id(input.Item), structuredClone(input.Item));
    return {};
  });
  dynamo.on(UpdateCommand).callsFake((input) => {
    const items = table(input.TableName);
    const existing = items.get(id(input.Key));
    const names = input.ExpressionAttributeNames as Record<string, string>;
    const values = input.ExpressionAttributeValues as Record<string, unknown>;
    if (input.UpdateExpression === 'ADD #a :by') {
      const item = existing ?? { ...input.Key };
      item[names['#a']] = Number(item[names['#a']] ?? 0) + Number(values[':by']);
      items.set(id(input.Key), item);
      return { Attributes: { [names['#a']]: item[names['#a']] } };
    }
    if (!existing) throw conditionalCheckFailed();
    const current = existing[names['#c']];
    if (input.ConditionExpression.includes('#c = :c') && current !== values[':c']) throw conditionalCheckFailed();
    if (input.ConditionExpression.includes('#c < :c') && current !== undefined && !(Number(current) < Number(values[':c']))) throw conditionalCheckFailed();
    for (const assignment of (input.UpdateExpression as string).replace(/^SET /, '').split(', ')) {
      const [name, value] = assignment.split(' = ');
      existing[names[name]] = structuredClone(values[value]);
    }
    return {};
  });
  dynamo.on(QueryCommand).callsFake((input) => {
    const values = input.ExpressionAttributeValues as Record<string, string>;
    const found = [...table(input.TableName).values()].filter((item) => item.pk === values[':pk'] && item.sk.startsWith(values[':prefix'])).sort((a, b) => (a.sk < b.sk ? -1 : 1));
    if (input.ScanIndexForward === false) found.reverse();
    return { Items: structuredClone(input.Limit === undefined ? found : found.slice(0, input.Limit)) };
  });
}

function installFakeS3(): void {
  configs = new Map();
  s3.on(GetObjectCommand).callsFake((input) => {
    const text = configs.get(input.Key);
    if (text === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: { transformToString: async () => text } };
  });
  s3.on(PutObjectCommand).resolves({});
}

/** `adherence` with version 1 (complete card) in staging, and version 2 registered. */
async function seedRegistry(): Promise<void> {
  const store = dynamoDbRegistryStore(new DynamoDBClient({ region: 'us-east-1' }), { registry: 'registry-table' });
  const now = steppingClock();
  for (const run of ['run-1', 'run-2']) {
    await registerModelVersion(
      store,
      versionRequest({ metrics: { auc: 0.81, ece: 0.03 }, subgroupMetrics: SUBGROUP_REPORT, card: COMPLETE_NARRATIVE, lineage: { ...versionRequest().lineage, executionId: run } }),
      { now },
    );
  }
  await setStage(store, 'adherence', 1, 'staging', 'training-pipeline/run-1', 'first model', { now });
}

beforeEach(async () => {
  dynamo.reset();
  s3.reset();
  installFakeDynamoDb();
  installFakeS3();
  await seedRegistry();
});

function event(method: string, path: string, options: { caller?: string | null; body?: string; base64?: boolean; query?: Record<string, string> } = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const caller = options.caller === undefined ? APPROVER : options.caller;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    queryStringParameters: options.query,
    body: options.body === undefined ? undefined : options.base64 ? Buffer.from(options.body).toString('base64') : options.body,
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefgh',
      domainName: 'abcdefgh.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefgh',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: 'lumina' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/May/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: caller === null ? undefined : { iam: { accessKey: 'ASIA', accountId: ACCOUNT, callerId: 'AROA:x', cognitoIdentity: null, principalOrgId: null, userArn: caller, userId: 'AROA:x' } },
    },
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}

async function call(e: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<{ status: number; body: Record<string, any> }> {
  const response = await handler(e, context);
  return { status: response.statusCode!, body: JSON.parse(response.body!) };
}

const auditItems = () => [...(tables.get('audit-table')?.values() ?? [])];
const registryWrites = () => dynamo.commandCalls(PutCommand).filter((c) => c.args[0].input.TableName === 'registry-table').length + dynamo.commandCalls(UpdateCommand).length;

describe('registry-api handler', () => {
  it('approves the card and promotes to production, auditing who, what and from which IP', async () => {
    const approved = await call(event('POST', '/models/adherence/1/approve-card', { body: JSON.stringify({ note: 'clinical board 2026-04' }) }));
    const promoted = await call(event('POST', '/models/adherence/1/promote', { body: JSON.stringify({ stage: 'production' }) }));

    expect(approved).toMatchObject({ status: 200, body: { alreadyApproved: false, card: { revision: 2, approvedBy: APPROVER } } });
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({ Bucket: 'artifacts-bucket', Key: 'projects/adherence/registry/000001/model-card.r2.md' });
    expect(promoted).toMatchObject({ status: 200, body: { change: { version: 1, from: 'staging', to: 'production', actor: APPROVER }, policy: { allowed: true, source: 'default' } } });
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: 'artifacts-bucket', Key: 'projects/adherence/config/project.config.json' });
    const audit = auditItems().map((item) => item.event as Record<string, any>);
    expect(audit.map((e) => [e.action, e.actor, e.source, e.target])).toEqual([
      ['model.card-approved', APPROVER, '198.51.100.23', 'model:1'],
      ['model.promoted', APPROVER, '198.51.100.23', 'model:1'],
    ]);
    expect(dynamo.commandCalls(PutCommand).filter((c) => c.args[0].input.TableName === 'audit-table').every((c) => c.args[0].input.ConditionExpression === 'attribute_not_exists(pk)')).toBe(true);
  });

  it('GET /audit lets a data scientist read the trail, newest first, filtered and limited', async () => {
    await call(event('POST', '/models/adherence/1/approve-card'));
    await call(event('POST', '/models/adherence/1/promote', { body: '{"stage":"production"}' }));

    const all = await call(event('GET', '/audit/adherence', { caller: SCIENTIST }));
    const approvals = await call(event('GET', '/audit/adherence', { caller: SCIENTIST, query: { action: 'model.card-approved,model.rolled-back', limit: '5' } }));

    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: { action: string }) => e.action)).toEqual(['model.promoted', 'model.card-approved']);
    expect(approvals.body.entries.map((e: { action: string }) => e.action)).toEqual(['model.card-approved']);
  });

  it('403: a data scientist cannot promote to production or approve; nothing is written', async () => {
    const writes = registryWrites();

    const promoting = await call(event('POST', '/models/adherence/1/promote', { caller: SCIENTIST, body: '{"stage":"production"}' }));
    const approving = await call(event('POST', '/models/adherence/1/approve-card', { caller: SCIENTIST }));

    expect(promoting).toEqual({
      status: 403,
      body: { error: 'Forbidden', message: 'data-scientist may not promote a model version to production (model.stage.production); allowed for: model-approver', persona: 'data-scientist', operation: 'model.stage.production' },
    });
    expect(approving).toMatchObject({ status: 403, body: { persona: 'data-scientist', operation: 'model-card.approve' } });
    expect(registryWrites()).toBe(writes);
    expect(auditItems()).toEqual([]);
  });

  it('403: callers that are no persona (another role, an IAM user, another account, unsigned)', async () => {
    for (const caller of [session('SomeOtherRole', 'x'), `arn:aws:iam::${ACCOUNT}:user/mallory`, `arn:aws:sts::999999999999:assumed-role/${ROLES.MODEL_APPROVER_ROLE_NAME}/eve`, null]) {
      const response = await call(event('POST', '/models/adherence/1/promote', { caller, body: '{"stage":"production"}' }));
      expect(response.status).toBe(403);
      expect(response.body.message).toMatch(/is not a LuminaOps persona/);
    }
  });

  it('400 names every bad field of path, body and query at once, before touching the registry', async () => {
    const calls = dynamo.calls().length;

    const response = await call(
      event('POST', '/models/Bad_Name/abc/promote', { body: JSON.stringify({ stage: 'prod', justification: 'too short', extra: 1 }), query: { dryRun: 'true' } }),
    );

    expect(response.status).toBe(400);
    expect(response.body.problems.map((p: { field: string }) => p.field)).toEqual(['project', 'version', 'body.stage', 'body.justification', 'body.extra', 'query.dryRun']);
    expect(response.body.problems.find((p: { field: string }) => p.field === 'body.justification').reason).toBe('a justification needs at least 20 characters');
    expect(dynamo.calls().length).toBe(calls);
  });

  it.each([
    ['no body', undefined, 'body: a JSON object is required'],
    ['not JSON', '{"stage":', 'body: not valid JSON'],
    ['a JSON array', '[1,2]', 'body: Invalid input: expected object, received array'],
    ['a missing field', '{}', 'body.stage: Invalid option'],
  ])('400 for %s', async (_what, body, problem) => {
    const response = await call(event('POST', '/models/adherence/1/promote', { body }));
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(problem);
  });

  it('400 for a rollback without a reason and for bad audit query parameters', async () => {
    expect((await call(event('POST', '/models/adherence/rollback', { caller: ENGINEER, body: '{"reason":"  "}' }))).body.problems).toEqual([{ field: 'body.reason', reason: 'a rollback needs a reason' }]);
    const audit = await call(event('GET', '/audit/adherence', { query: { since: 'yesterday', action: 'model.deleted', limit: '0', sort: 'x' } }));
    expect(audit.status).toBe(400);
    expect(audit.body.problems.map((p: { field: string }) => p.field)).toEqual(['query.since', 'query.action.0', 'query.limit', 'query.sort']);
  });

  it('decodes a base64 body', async () => {
    const response = await call(event('POST', '/models/adherence/2/promote', { caller: ENGINEER, base64: true, body: '{"stage":"staging","reason":"retest"}' }));
    expect(response).toMatchObject({ status: 200, body: { change: { version: 2, to: 'staging', reason: 'retest', displaced: [{ version: 1 }] } } });
  });

  it('409 for a policy refusal with the failed rules, an invalid transition and nothing to roll back', async () => {
    configs.set('projects/adherence/config/project.config.json', JSON.stringify({ promotionPolicy: { rules: [{ kind: 'metric', metric: 'auc', min: 0.9 }] } }));
    await call(event('POST', '/models/adherence/1/approve-card'));

    const blocked = await call(event('POST', '/models/adherence/1/promote', { body: '{"stage":"production"}' }));
    configs.set('projects/adherence/config/project.config.json', JSON.stringify({ promotionPolicy: { requireApprovedCard: false } }));
    const transition = await call(event('POST', '/models/adherence/2/promote', { body: '{"stage":"production"}' }));
    const rollback = await call(event('POST', '/models/adherence/rollback', { caller: ENGINEER, body: '{"reason":"bad scores"}' }));

    expect(blocked).toMatchObject({ status: 409, body: { error: 'PromotionBlocked', failedRules: [{ rule: 'auc >= 0.9', actual: 0.81, message: 'auc >= 0.9: auc is 0.81, outside the limit' }] } });
    expect(transition).toMatchObject({ status: 409, body: { error: 'InvalidStageTransition', from: 'none', to: 'production', allowed: ['staging', 'archived'] } });
    expect(rollback).toMatchObject({ status: 409, body: { error: 'NothingToRollBack', message: 'cannot roll back adherence: no version is in production' } });
    expect(auditItems().map((item) => (item.event as { action: string }).action)).toEqual(['model.card-approved']);
  });

  it('a justified exception passes the policy and is recorded; a broken configuration is a 409 naming the field', async () => {
    configs.set('projects/adherence/config/project.config.json', JSON.stringify({ promotionPolicy: { rules: [{ kind: 'metric', metric: 'auc', min: 0.9 }], requireApprovedCard: false } }));
    const justification = 'Outgoing model has a known data defect; accepted by the safety board.';

    const promoted = await call(event('POST', '/models/adherence/1/promote', { body: JSON.stringify({ stage: 'production', justification }) }));
    configs.set('projects/adherence/config/project.config.json', JSON.stringify({ promotionPolicy: { rules: [{ kind: 'metric', metric: 'auc', min: 'high' }] } }));
    const broken = await call(event('POST', '/models/adherence/1/approve-card'));
    const brokenPromotion = await call(event('POST', '/models/adherence/2/promote', { caller: ENGINEER, body: '{"stage":"staging"}' }));

    expect(promoted).toMatchObject({ status: 200, body: { policy: { exception: { approver: APPROVER, justification } } } });
    expect(auditItems().map((item) => (item.event as { action: string }).action)).toEqual(['policy.exception-granted', 'model.promoted', 'model.card-approved', 'model.stage-changed']);
    // Approving a card does not read the policy; promoting to staging does not either.
    expect(broken.status).toBe(200);
    expect(brokenPromotion.status).toBe(200);
    const withBrokenPolicy = await call(event('POST', '/models/adherence/2/promote', { body: '{"stage":"production"}' }));
    expect(withBrokenPolicy).toMatchObject({ status: 409, body: { error: 'InvalidProjectConfig', key: 'projects/adherence/config/project.config.json', problems: [{ field: 'promotionPolicy.rules.0.min' }] } });
  });

  it('A/B: an ML engineer starts, changes and stops a test against production, audited; a data scientist reads it but cannot change it', async () => {
    // Prepare: version 1 in production.
    await call(event('POST', '/models/adherence/1/approve-card'));
    await call(event('POST', '/models/adherence/1/promote', { body: '{"stage":"production"}' }));

    // Act
    const started = await call(event('POST', '/ab/adherence', { caller: ENGINEER, body: JSON.stringify({ challenger: 2, split: 0.2 }) }));
    const refused = await call(event('POST', '/ab/adherence', { caller: SCIENTIST, body: JSON.stringify({ challenger: 2, split: 0.5 }) }));
    const read = await call(event('GET', '/ab/adherence', { caller: SCIENTIST }));
    const stopped = await call(event('POST', '/ab/adherence', { caller: APPROVER, body: JSON.stringify({ challenger: null }) }));
    const stoppedAgain = await call(event('POST', '/ab/adherence', { caller: APPROVER, body: JSON.stringify({ challenger: null }) }));

    // Assess
    expect(started).toMatchObject({ status: 200, body: { change: { champion: 1, challenger: 2, split: 0.2, revision: 1, updatedBy: ENGINEER }, previous: null } });
    expect(refused).toMatchObject({ status: 403, body: { operation: 'ab.change', persona: 'data-scientist', message: expect.stringContaining('allowed for: ml-engineer, model-approver') } });
    expect(read).toEqual({ status: 200, body: { project: 'adherence', config: expect.objectContaining({ champion: 1, challenger: 2, split: 0.2 }), production: 1, effective: { champion: 1, challenger: 2, split: 0.2 } } });
    expect(stopped).toMatchObject({ status: 200, body: { change: { champion: 1, challenger: null, split: 0, revision: 2 }, previous: { challenger: 2 } } });
    expect(stoppedAgain).toMatchObject({ status: 200, body: { change: null, audit: [] } });
    const changes = auditItems().map((item) => item.event as Record<string, any>).filter((e) => e.action === 'ab.changed');
    expect(changes.map((e) => [e.actor, e.source, e.target, e.details.persona, e.details.challenger])).toEqual([
      [ENGINEER, '198.51.100.23', 'model:2', 'ml-engineer', 2],
      [APPROVER, '198.51.100.23', 'model:2', 'model-approver', null],
    ]);
  });

  it('A/B: 400 names every bad field; 409 without production or with production as the challenger', async () => {
    const bad = await call(event('POST', '/ab/adherence', { caller: ENGINEER, body: JSON.stringify({ challenger: 0, split: 2, colour: 'red' }) }));
    const noSplit = await call(event('POST', '/ab/adherence', { caller: ENGINEER, body: JSON.stringify({ challenger: 2 }) }));
    const noProduction = await call(event('POST', '/ab/adherence', { caller: ENGINEER, body: JSON.stringify({ challenger: 2, split: 0.1 }) }));
    await call(event('POST', '/models/adherence/1/approve-card'));
    await call(event('POST', '/models/adherence/1/promote', { body: '{"stage":"production"}' }));
    const championAsChallenger = await call(event('POST', '/ab/adherence', { caller: ENGINEER, body: JSON.stringify({ challenger: 1, split: 0.1 }) }));

    expect(bad).toMatchObject({ status: 400, body: { error: 'InvalidRequest' } });
    expect(bad.body.problems.map((p: { field: string }) => p.field).sort()).toEqual(['body.challenger', 'body.colour', 'body.split']);
    expect(noSplit).toMatchObject({ status: 400, body: { problems: [{ field: 'body.split', reason: expect.stringContaining('required with a challenger') }] } });
    expect(noProduction).toMatchObject({ status: 409, body: { error: 'AbTestRefused', message: 'project adherence has no production version to test a challenger against' } });
    expect(championAsChallenger).toMatchObject({ status: 409, body: { error: 'AbTestRefused', message: expect.stringContaining('is the production version') } });
    expect(auditItems().filter((item) => (item.event as { action: string }).action === 'ab.changed')).toEqual([]);
  });

  it('404 for an unknown route or version, 405 for a wrong method', async () => {
    expect(await call(event('GET', '/models/adherence'))).toMatchObject({ status: 404, body: { error: 'NotFound', routes: expect.arrayContaining(['GET /audit/{project}']) } });
    expect(await call(event('POST', '/models/adherence/9/approve-card'))).toMatchObject({ status: 404, body: { message: 'project adherence has no model version 9 (versions are 1..2)' } });
    expect(await call(event('DELETE', '/audit/adherence'))).toMatchObject({ status: 405, body: { message: '/audit/adherence answers GET, not DELETE' } });
  });

  it('never answers 5xx to random bodies, paths and query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/models/adherence/1/promote', '/models/adherence/rollback', '/models/adherence/2/approve-card', '/audit/adherence', '/models/adherence/%00/promote', '/ab/adherence'),
        fc.oneof(fc.string(), fc.json(), fc.constant(undefined), fc.record({ stage: fc.string(), justification: fc.string(), reason: fc.string(), note: fc.string(), challenger: fc.oneof(fc.integer(), fc.constant(null), fc.string()), split: fc.oneof(fc.double(), fc.string()) }, { requiredKeys: [] }).map((o) => JSON.stringify(o))),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
        fc.constantFrom(APPROVER, ENGINEER, SCIENTIST),
        async (path, body, query, caller) => {
          const method = path.startsWith('/audit') ? 'GET' : 'POST';
          const response = await handler(event(method, path, { caller, body, query: Object.keys(query).length > 0 ? query : undefined }), context);
          expect(response.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
