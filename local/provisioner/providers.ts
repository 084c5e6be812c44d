import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, type CreateTableCommandInput, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { JsonObject, JsonValue } from '../template/resolver';
import type { ResourceProvider, ResourceRequest } from './provisioner';

/** What the providers need from the rest of the local cloud. */
export interface ProviderServices {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  /** Buckets whose template turns on EventBridge notifications. */
  readonly enableBucketEvents: (bucket: string) => void;
  readonly registerFunction: (fn: LocalFunctionSpec) => void;
  readonly registerStateMachine: (machine: { arn: string; name: string; definition: JsonObject }) => void;
  readonly registerRule: (rule: { name: string; arn: string; properties: JsonObject }) => void;
  readonly registerTopic: (arn: string) => void;
  /** An SNS subscription; the local cloud delivers email ones to local mailboxes through their filter policy. */
  readonly registerSubscription: (subscription: { arn: string; topicArn: string; protocol: string; endpoint: string; filterPolicy?: JsonValue; filterPolicyScope?: string }) => void;
  readonly registerAlarm: (alarm: { logicalId: string; name: string; arn: string; type: string; properties: JsonObject }) => void;
  /** Serves a function URL on 127.0.0.1 and returns its address. */
  readonly registerFunctionUrl: (url: { functionName: string; authType: 'AWS_IAM' | 'NONE' }) => Promise<string>;
  readonly lambdaAssetDir: (code: JsonObject, metadata: Readonly<Record<string, unknown>>) => string;
  readonly productTemplate: (templateUrl: string) => void;
}

export interface LocalFunctionSpec {
  readonly name: string;
  readonly arn: string;
  readonly runtime: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

const arn = (r: ResourceRequest, service: string, resource: string): string => `arn:aws:${service}:${r.region}:${r.accountId}:${resource}`;
const str = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Resource types whose behaviour the local cloud does not emulate but whose presence is
 * harmless to record: IAM (not enforced locally; cdk-nag and CDK assertions check it),
 * KMS (data is not encrypted at rest locally), log groups, bucket/topic policies, tags,
 * Service Catalog bookkeeping. Each still gets an id so references resolve.
 */
const RECORDED_ONLY: Record<string, (r: ResourceRequest) => { physicalId: string; attributes: Record<string, JsonValue> }> = {
  'AWS::IAM::Role': (r) => {
    const name = str(r.properties.RoleName) ?? r.generatedName(64);
    return { physicalId: name, attributes: { Arn: `arn:aws:iam::${r.accountId}:role/${name}`, RoleId: `AROA${name.slice(-12)}` } };
  },
  'AWS::IAM::Policy': (r) => ({ physicalId: r.generatedName(128), attributes: {} }),
  'AWS::IAM::ManagedPolicy': (r) => ({ physicalId: `arn:aws:iam::${r.accountId}:policy/${r.generatedName(128)}`, attributes: {} }),
  'AWS::KMS::Key': (r) => {
    const id = r.generatedName(36, true);
    return { physicalId: id, attributes: { Arn: arn(r, 'kms', `key/${id}`), KeyId: id } };
  },
  'AWS::KMS::Alias': (r) => ({ physicalId: str(r.properties.AliasName) ?? r.generatedName(), attributes: {} }),
  'AWS::Logs::LogGroup': (r) => {
    const name = str(r.properties.LogGroupName) ?? `/local/${r.generatedName(200)}`;
    return { physicalId: name, attributes: { Arn: arn(r, 'logs', `log-group:${name}:*`) } };
  },
  'AWS::S3::BucketPolicy': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  'AWS::SNS::TopicPolicy': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  'AWS::ServiceCatalog::Portfolio': (r) => ({ physicalId: `port-${r.generatedName(20, true)}`, attributes: { PortfolioName: str(r.properties.DisplayName) ?? '' } }),
  'AWS::ServiceCatalog::PortfolioProductAssociation': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  'AWS::ServiceCatalog::PortfolioPrincipalAssociation': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  'AWS::ServiceCatalog::LaunchRoleConstraint': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  'AWS::CDK::Metadata': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  // Resource policies (who may invoke) are IAM: recorded, not enforced locally.
  'AWS::Lambda::Permission': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
  // Dashboards have no local viewer; `lumina report` renders the same data as HTML.
  'AWS::CloudWatch::Dashboard': (r) => ({ physicalId: str(r.properties.DashboardName) ?? r.generatedName(255), attributes: {} }),
  // The AWS CLI layer of CDK's BucketDeployment: only that Python function uses it.
  'AWS::Lambda::LayerVersion': (r) => ({ physicalId: arn(r, 'lambda', `layer:${r.generatedName(64)}:1`), attributes: {} }),
  // BucketDeployment publishes Service Catalog product bundles to the asset bucket; the local
  // cloud reads the same bundles from cdk.out, which is what that copy would contain.
  'Custom::CDKBucketDeployment': (r) => ({ physicalId: r.generatedName(), attributes: {} }),
};

export function createProviders(services: ProviderServices): Record<string, ResourceProvider> {
  const providers: Record<string, ResourceProvider> = {};
  for (const [type, record] of Object.entries(RECORDED_ONLY)) providers[type] = async (r) => record(r);

  providers['AWS::S3::Bucket'] = async (r) => {
    const name = str(r.properties.BucketName) ?? r.generatedName(63, true);
    await ignoreExisting(() => services.s3.send(new CreateBucketCommand({ Bucket: name })), ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);
    const notifications = r.properties.NotificationConfiguration as JsonObject | undefined;
    const eventBridge = notifications?.EventBridgeConfiguration as JsonObject | undefined;
    if (eventBridge && eventBridge.EventBridgeEnabled !== false && eventBridge.EventBridgeEnabled !== 'false') services.enableBucketEvents(name);
    return {
      physicalId: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${r.region}.amazonaws.com`,
      },
    };
  };

  providers['AWS::DynamoDB::Table'] = async (r) => {
    const name = str(r.properties.TableName) ?? r.generatedName(255);
    const p = r.properties as unknown as CreateTableCommandInput;
    const input: CreateTableCommandInput = {
      TableName: name,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })),
      LocalSecondaryIndexes: p.LocalSecondaryIndexes,
    };
    const exists = await services.dynamodb.send(new DescribeTableCommand({ TableName: name })).then(
      () => true,
      () => false,
    );
    if (!exists) await services.dynamodb.send(new CreateTableCommand(input));
    const tableArn = arn(r, 'dynamodb', `table/${name}`);
    return { physicalId: name, attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/local` } };
  };

  providers['AWS::SNS::Topic'] = async (r) => {
    const name = str(r.properties.TopicName) ?? r.generatedName(256);
    const topicArn = arn(r, 'sns', name);
    services.registerTopic(topicArn);
    return { physicalId: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
  };

  // Email subscriptions get a local mailbox (LocalCloud.mailbox) that receives what their filter policy lets through.
  providers['AWS::SNS::Subscription'] = async (r) => {
    const topicArn = str(r.properties.TopicArn) ?? 'topic';
    const subscriptionArn = `${topicArn}:${r.generatedName(36, true)}`;
    services.registerSubscription({
      arn: subscriptionArn,
      topicArn,
      protocol: str(r.properties.Protocol) ?? '',
      endpoint: str(r.properties.Endpoint) ?? '',
      ...(r.properties.FilterPolicy === undefined ? {} : { filterPolicy: r.properties.FilterPolicy }),
      ...(str(r.properties.FilterPolicyScope) === undefined ? {} : { filterPolicyScope: str(r.properties.FilterPolicyScope) }),
    });
    return { physicalId: subscriptionArn, attributes: {} };
  };

  providers['AWS::Lambda::Function'] = async (r) => {
    const name = str(r.properties.FunctionName) ?? r.generatedName(64);
    const functionArn = arn(r, 'lambda', `function:${name}`);
    const environment = ((r.properties.Environment as JsonObject | undefined)?.Variables ?? {}) as Record<string, string>;
    services.registerFunction({
      name,
      arn: functionArn,
      runtime: str(r.properties.Runtime) ?? '',
      assetDir: services.lambdaAssetDir(r.properties.Code as JsonObject, r.metadata),
      handler: str(r.properties.Handler) ?? 'index.handler',
      environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: Number(r.properties.Timeout ?? 3),
      memoryMb: Number(r.properties.MemorySize ?? 128),
    });
    return { physicalId: name, attributes: { Arn: functionArn } };
  };

  providers['AWS::StepFunctions::StateMachine'] = async (r) => {
    const name = str(r.properties.StateMachineName) ?? r.generatedName(80);
    const machineArn = arn(r, 'states', `stateMachine:${name}`);
    let definition = r.properties.Definition as JsonObject | undefined;
    const definitionString = str(r.properties.DefinitionString);
    if (definitionString !== undefined) definition = JSON.parse(applySubstitutions(definitionString, r.properties.DefinitionSubstitutions as JsonObject | undefined)) as JsonObject;
    if (!definition) throw new Error(`${r.stackName}/${r.logicalId}: state machine has no Definition or DefinitionString (DefinitionS3Location is not supported locally)`);
    services.registerStateMachine({ arn: machineArn, name, definition });
    return { physicalId: machineArn, attributes: { Arn: machineArn, Name: name } };
  };

  providers['AWS::Events::Rule'] = async (r) => {
    const name = str(r.properties.Name) ?? r.generatedName(64);
    const bus = str(r.properties.EventBusName) ?? 'default';
    const ruleArn = arn(r, 'events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`);
    services.registerRule({ name, arn: ruleArn, properties: r.properties });
    return { physicalId: name, attributes: { Arn: ruleArn } };
  };

  providers['AWS::Lambda::Url'] = async (r) => {
    const target = str(r.properties.TargetFunctionArn) ?? '';
    const functionName = /:function:([^:]+)/.exec(target)?.[1] ?? target;
    if (functionName === '') throw new Error(`${r.stackName}/${r.logicalId}: function URL without TargetFunctionArn`);
    if (r.properties.Qualifier !== undefined) throw new Error(`${r.stackName}/${r.logicalId}: function URLs on an alias or version are not supported locally (only $LATEST runs)`);
    const authType = str(r.properties.AuthType);
    if (authType !== 'AWS_IAM' && authType !== 'NONE') throw new Error(`${r.stackName}/${r.logicalId}: AuthType must be AWS_IAM or NONE, got ${String(authType)}`);
    const url = await services.registerFunctionUrl({ functionName, authType });
    return { physicalId: url, attributes: { FunctionUrl: url, FunctionArn: target } };
  };

  // EventBridge Scheduler schedules run on the local bus's scheduler, as a scheduled rule with the same target.
  providers['AWS::Scheduler::Schedule'] = async (r) => {
    const name = str(r.properties.Name) ?? r.generatedName(64);
    const target = (r.properties.Target ?? {}) as JsonObject;
    const state = str(r.properties.State) ?? 'ENABLED';
    services.registerRule({
      name: `schedule/${name}`,
      arn: arn(r, 'scheduler', `schedule/default/${name}`),
      properties: {
        ScheduleExpression: r.properties.ScheduleExpression as JsonValue,
        State: state,
        Targets: [{ Id: 'ScheduleTarget', Arn: target.Arn as JsonValue, ...(target.Input !== undefined ? { Input: target.Input } : {}), ...(target.RoleArn !== undefined ? { RoleArn: target.RoleArn } : {}) }],
      },
    });
    return { physicalId: name, attributes: { Arn: arn(r, 'scheduler', `schedule/default/${name}`) } };
  };

  for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
    providers[type] = async (r) => {
      const name = str(r.properties.AlarmName) ?? r.generatedName(255);
      const alarmArn = arn(r, 'cloudwatch', `alarm:${name}`);
      services.registerAlarm({ logicalId: r.logicalId, name, arn: alarmArn, type, properties: r.properties });
      return { physicalId: name, attributes: { Arn: alarmArn } };
    };
  }

  providers['AWS::ServiceCatalog::CloudFormationProduct'] = async (r) => {
    const versions = (r.properties.ProvisioningArtifactParameters ?? []) as JsonObject[];
    for (const version of versions) {
      const url = str((version.Info as JsonObject | undefined)?.LoadTemplateFromURL);
      if (url) services.productTemplate(url);
    }
    const id = `prod-${r.generatedName(20, true)}`;
    return { physicalId: id, attributes: { ProductName: str(r.properties.Name) ?? '', ProvisioningArtifactIds: id, ProvisioningArtifactNames: 'v1' } };
  };

  return providers;
}

function applySubstitutions(definition: string, substitutions: JsonObject | undefined): string {
  if (!substitutions) return definition;
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key: string) => (key in substitutions ? String(substitutions[key]) : whole));
}

async function ignoreExisting(action: () => Promise<unknown>, codes: string[]): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!codes.includes((error as { name?: string }).name ?? '')) throw error;
  }
}
