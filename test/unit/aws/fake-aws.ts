/**
 * A small AWS account behind aws-sdk-client-mock, for `lumina project delete --aws` tests: the
 * platform stack with its exports, the project `adherence` as a Service Catalog provisioned
 * product (or, with `deployment: 'cdk-stack'`, as the stack LuminaOps-adherence; with
 * `deployment: 'none'`, already removed but with its data still there), its stack
 * resources and template, a versioned artifact bucket and the five tables, and a second
 * project `keeper` that must survive. Every client is mocked at the class, so clients the
 * code makes itself answer from here. Listings page in small pages so pagination is
 * exercised; knobs make Service Catalog, CloudFormation, S3 and DynamoDB misbehave.
 */
import { DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand, CloudFormationClient, type Stack, type StackEvent } from '@aws-sdk/client-cloudformation';
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeProvisionedProductCommand, DescribeRecordCommand, ResourceNotFoundException, SearchProvisionedProductsCommand, ServiceCatalogClient, TerminateProvisionedProductCommand } from '@aws-sdk/client-service-catalog';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/LuminaOps-MlEngineer/alice`;
export const BUCKET = 'luminaops-artifactstorebucket-1x2y3z';
export const TABLES = { registry: 'LuminaOps-ModelRegistry-A1', experiments: 'LuminaOps-Experiments-B2', featureStore: 'LuminaOps-FeatureStore-C3', operations: 'LuminaOps-Operations-D4', audit: 'LuminaOps-AuditTrail-E5' };
export const PRODUCT_ID = 'pp-adherence123';
export const SC_STACK_NAME = `SC-${ACCOUNT}-${PRODUCT_ID}`;
export const SC_STACK_ARN = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${SC_STACK_NAME}/11111111-2222-3333-4444-555555555555`;
export const CDK_STACK_NAME = 'LuminaOps-adherence';
export const CDK_STACK_ARN = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${CDK_STACK_NAME}/66666666-7777-8888-9999-000000000000`;
export const PROVISIONING_RECORD = 'rec-provision-1';
export const TERMINATION_RECORD = 'rec-terminate-1';
export const machineArn = (name: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

const PLATFORM_EXPORTS: Record<string, string> = {
  'LuminaOps:ArtifactBucketName': BUCKET,
  'LuminaOps:ArtifactBucketArn': `arn:aws:s3:::${BUCKET}`,
  ...Object.fromEntries(Object.entries(TABLES).map(([name, table]) => [`LuminaOps:Table-${name}`, `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`])),
};

/** The project stack: 9 resources CloudFormation removes, 2 log groups the template retains. */
const STACK_RESOURCES: { logicalId: string; type: string; physicalId: string; retain?: boolean }[] = [
  { logicalId: 'TrainingPipeline', type: 'AWS::StepFunctions::StateMachine', physicalId: machineArn('TrainingPipeline-Ab12') },
  { logicalId: 'InferencePipeline', type: 'AWS::StepFunctions::StateMachine', physicalId: machineArn('InferencePipeline-Cd34') },
  { logicalId: 'LabelsPipeline', type: 'AWS::StepFunctions::StateMachine', physicalId: machineArn('LabelsPipeline-Ef56') },
  { logicalId: 'ScoreChunk', type: 'AWS::Lambda::Function', physicalId: 'SC-pp-adherence-ScoreChunk' },
  { logicalId: 'EndpointUrl', type: 'AWS::Lambda::Url', physicalId: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:SC-pp-adherence-Endpoint` },
  { logicalId: 'DriftAlarm', type: 'AWS::CloudWatch::Alarm', physicalId: 'adherence-drift' },
  { logicalId: 'DataDropRule', type: 'AWS::Events::Rule', physicalId: 'SC-pp-adherence-DataDrop' },
  { logicalId: 'PipelineRole', type: 'AWS::IAM::Role', physicalId: 'SC-pp-adherence-PipelineRole' },
  { logicalId: 'RetrainSchedule', type: 'AWS::Scheduler::Schedule', physicalId: 'adherence-retrain' },
  { logicalId: 'ScoreChunkLogs', type: 'AWS::Logs::LogGroup', physicalId: '/aws/lambda/SC-pp-adherence-ScoreChunk', retain: true },
  { logicalId: 'TrainingLogs', type: 'AWS::Logs::LogGroup', physicalId: '/aws/vendedlogs/states/adherence-training', retain: true },
];

interface StoredVersion {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  latest: boolean;
  size: number;
}

/** 5 object versions (3 current objects, 3,690 bytes) and 1 delete marker under projects/adherence/; one object of keeper. */
function initialObjects(): StoredVersion[] {
  return [
    { key: 'projects/adherence/config/training.json', versionId: 'v2', deleteMarker: false, latest: true, size: 100 },
    { key: 'projects/adherence/config/training.json', versionId: 'v1', deleteMarker: false, latest: false, size: 90 },
    { key: 'projects/adherence/runs/r1/model.json', versionId: 'v1', deleteMarker: false, latest: true, size: 2000 },
    { key: 'projects/adherence/training/inbox/old.csv', versionId: 'dm1', deleteMarker: true, latest: true, size: 0 },
    { key: 'projects/adherence/training/inbox/old.csv', versionId: 'v1', deleteMarker: false, latest: false, size: 500 },
    { key: 'projects/adherence/training/inbox/patients.csv', versionId: 'v1', deleteMarker: false, latest: true, size: 1000 },
    { key: 'projects/keeper/config/training.json', versionId: 'v1', deleteMarker: false, latest: true, size: 80 },
  ];
}

type Item = Record<string, unknown> & { pk: string; sk: string };

/** adherence: 4 registry, 2 experiment runs, 3 operations items, 0 feature store items, 2 audit entries. */
function initialTables(): Record<keyof typeof TABLES, Item[]> {
  return {
    registry: [
      { pk: 'PROJECT#adherence', sk: 'COUNTER#VERSION', last: 1 },
      { pk: 'PROJECT#adherence', sk: 'DATASET#ds-1', key: 'projects/adherence/datasets/ds-1/data.csv' },
      { pk: 'PROJECT#adherence', sk: 'STAGES', production: 1 },
      { pk: 'PROJECT#adherence', sk: 'VERSION#000001', artifacts: { model: 'projects/adherence/runs/r1/model.json' } },
      { pk: 'PROJECT#keeper', sk: 'VERSION#000001', artifacts: { model: 'projects/keeper/runs/k1/model.json' } },
    ],
    experiments: [
      { pk: 'EXPERIMENT#adherence', sk: 'RUN#r1', project: 'adherence' },
      { pk: 'EXPERIMENT#adherence', sk: 'RUN#r2', project: 'adherence' },
      { pk: 'EXPERIMENT#keeper', sk: 'RUN#k1', project: 'keeper' },
    ],
    operations: [
      { pk: 'PROJECT#adherence', sk: 'BATCH#b1', status: 'SUCCEEDED' },
      { pk: 'PROJECT#adherence', sk: 'BATCH#b1#CHUNK#0001', done: true },
      { pk: 'PROJECT#adherence', sk: 'RUN#exec-1', status: 'SUCCEEDED' },
      { pk: 'PROJECT#keeper', sk: 'RUN#exec-k', status: 'SUCCEEDED' },
    ],
    featureStore: [
      { pk: 'FG#vitals', sk: 'VERSION#000001', record: { name: 'vitals' } },
      { pk: 'FG#vitals#ENTITY#p1', sk: 'VERSION#000001', features: { hr: 70 } },
    ],
    audit: [
      { pk: 'PROJECT#adherence', sk: 'AUDIT#2026-03-01T08:00:00.000Z#a1', event: { id: 'a1', at: '2026-03-01T08:00:00.000Z', action: 'project.created' } },
      { pk: 'PROJECT#adherence', sk: 'AUDIT#2026-03-01T09:00:00.000Z#a2', event: { id: 'a2', at: '2026-03-01T09:00:00.000Z', action: 'model.promoted' } },
      { pk: 'PROJECT#keeper', sk: 'AUDIT#2026-03-01T08:30:00.000Z#k1', event: { id: 'k1', at: '2026-03-01T08:30:00.000Z', action: 'project.created' } },
    ],
  };
}

const cloudFormation = mockClient(CloudFormationClient);
const serviceCatalog = mockClient(ServiceCatalogClient);
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);
export const mocks = { cloudFormation, serviceCatalog, sfn, s3, dynamodb, documents, sts };

const notFound = (message: string): Error => Object.assign(new Error(message), { name: 'ValidationError' });

export interface FakeAwsOptions {
  /** How the project is deployed; 'none': neither a product nor a stack (an earlier deletion removed them), its artifacts and items still there. @default 'service-catalog' */
  readonly deployment?: 'service-catalog' | 'cdk-stack' | 'none';
  /** The provisioned product's stack: live, already DELETE_COMPLETE, or deleted so long ago that CloudFormation no longer finds it by id. @default 'live' */
  readonly productStack?: 'live' | 'deleted' | 'forgotten';
  /** Whether the platform stack exists. @default true */
  readonly platform?: boolean;
  /** Export names the platform stack lacks. @default none */
  readonly missingExports?: readonly string[];
  /** The provisioned product's status. @default 'AVAILABLE' */
  readonly productStatus?: string;
  /** The ProjectName parameter of the project's stack. @default 'adherence' */
  readonly projectParameter?: string;
  /** Status the termination record (or stack, for cdk-stack) reports on each poll, the last one repeating. @default ['SUCCEEDED'] / ['DELETE_COMPLETE'] */
  readonly removalStatuses?: readonly string[];
  /** Names of RUNNING executions per state machine ARN. @default none */
  readonly runningExecutions?: Readonly<Record<string, readonly string[]>>;
  /** Keys S3 refuses to delete (AccessDenied). @default none */
  readonly undeletableKeys?: readonly string[];
  /** Deletes BatchWriteItem leaves unprocessed on its first call, per table. @default 0 */
  readonly unprocessedOnFirstWrite?: number;
  /** Whether the provisioning record names the stack (else only SearchProvisionedProducts does). @default true */
  readonly recordNamesStack?: boolean;
  /** The termination record SUCCEEDS but the product and its stack are still there (what the check must catch). @default false */
  readonly productSurvivesTermination?: boolean;
  /** DeleteObjects fails as a whole (AccessDenied), as without s3:DeleteObjectVersion. @default false */
  readonly deleteObjectsDenied?: boolean;
  /** `<pk> <sk>` of items a concurrent writer puts back right after they are deleted. @default none */
  readonly itemsThatComeBack?: readonly string[];
}

export class FakeAws {
  readonly objects = initialObjects();
  readonly tables = initialTables();
  productExists: boolean;
  stackStatus: string;
  /** FakeAwsOptions.deleteObjectsDenied, changeable (a permission granted between two runs). */
  deleteObjectsDenied: boolean;
  /** Puts to the audit table fail (AccessDenied), as without dynamodb:PutItem on it; changeable. */
  auditWriteDenied = false;
  /** DescribeRecord / DescribeStacks polls of the removal so far. */
  removalPolls = 0;
  private readonly options: FakeAwsOptions;

  constructor(options: FakeAwsOptions = {}) {
    this.options = options;
    this.productExists = (options.deployment ?? 'service-catalog') === 'service-catalog';
    this.deleteObjectsDenied = options.deleteObjectsDenied ?? false;
    this.stackStatus = options.deployment === 'none' || (options.productStack ?? 'live') !== 'live' ? 'DELETE_COMPLETE' : 'CREATE_COMPLETE';
    for (const mock of Object.values(mocks)) mock.reset();
    this.installCloudFormation();
    this.installServiceCatalog();
    this.installStepFunctions();
    this.installS3();
    this.installDynamoDb();
    sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER_ARN, Account: ACCOUNT, UserId: 'AROAEXAMPLE:alice' });
  }

  get stackArn(): string {
    return this.options.deployment === 'cdk-stack' ? CDK_STACK_ARN : SC_STACK_ARN;
  }

  get stackName(): string {
    return this.options.deployment === 'cdk-stack' ? CDK_STACK_NAME : SC_STACK_NAME;
  }

  /** Keys of the project's items still in a table. */
  projectItems(table: keyof typeof TABLES, project = 'adherence'): string[] {
    return this.tables[table].filter((i) => i.pk === `PROJECT#${project}` || i.project === project).map((i) => `${i.pk} ${i.sk}`);
  }

  /** Names of the commands that change something, in the order they were sent. */
  writes(): string[] {
    const names = [
      ...serviceCatalog.commandCalls(TerminateProvisionedProductCommand),
      ...cloudFormation.commandCalls(DeleteStackCommand),
      ...s3.commandCalls(DeleteObjectsCommand),
      ...dynamodb.commandCalls(BatchWriteItemCommand),
      ...dynamodb.commandCalls(PutItemCommand),
      ...documents.commandCalls(PutCommand),
    ];
    return names.map((call) => call.args[0].constructor.name);
  }

  private nextRemovalStatus(fallback: string): string {
    const statuses = this.options.removalStatuses ?? [fallback];
    const status = statuses[Math.min(this.removalPolls, statuses.length - 1)];
    this.removalPolls += 1;
    return status;
  }

  private projectStack(): Stack {
    return {
      StackId: this.stackArn,
      StackName: this.stackName,
      StackStatus: this.stackStatus as Stack['StackStatus'],
      CreationTime: new Date('2026-02-01T00:00:00Z'),
      Parameters: [
        { ParameterKey: 'ProjectName', ParameterValue: this.options.projectParameter ?? 'adherence' },
        { ParameterKey: 'TargetColumn', ParameterValue: 'stopped_within_30d' },
      ],
      ...(this.stackStatus.startsWith('DELETE') ? { DeletionTime: new Date('2026-03-02T09:00:00Z') } : {}),
    };
  }

  private installCloudFormation(): void {
    const deployment = this.options.deployment ?? 'service-catalog';
    cloudFormation.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
      if (StackName === 'LuminaOps' && this.options.platform !== false) {
        const outputs = Object.entries(PLATFORM_EXPORTS)
          .filter(([name]) => !this.options.missingExports?.includes(name))
          .map(([name, value], index) => ({ OutputKey: `ExportsOutput${index}`, OutputValue: value, ExportName: name }));
        return { Stacks: [{ StackName: 'LuminaOps', StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/LuminaOps/abc`, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: outputs }] };
      }
      const byArn = StackName === this.stackArn;
      const byName = StackName === this.stackName && this.stackStatus !== 'DELETE_COMPLETE';
      const forgotten = this.options.productStack === 'forgotten' && this.stackStatus === 'DELETE_COMPLETE';
      if (deployment !== 'none' && !forgotten && (byArn || byName)) {
        if (this.stackStatus.startsWith('DELETE_') && this.stackStatus !== 'DELETE_COMPLETE' && deployment === 'cdk-stack') this.stackStatus = this.nextRemovalStatus('DELETE_COMPLETE');
        return { Stacks: [this.projectStack()] };
      }
      throw notFound(`Stack with id ${StackName} does not exist`);
    });
    cloudFormation.on(ListStackResourcesCommand).callsFake(({ StackName, NextToken }: { StackName: string; NextToken?: string }) => {
      if (StackName !== this.stackArn) throw notFound(`Stack with id ${StackName} does not exist`);
      const start = Number(NextToken ?? 0);
      const page = STACK_RESOURCES.slice(start, start + 4);
      return {
        StackResourceSummaries: page.map((r) => ({ LogicalResourceId: r.logicalId, PhysicalResourceId: r.physicalId, ResourceType: r.type, ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() })),
        ...(start + 4 < STACK_RESOURCES.length ? { NextToken: String(start + 4) } : {}),
      };
    });
    cloudFormation.on(GetTemplateCommand).callsFake(() => ({
      TemplateBody: JSON.stringify({ Resources: Object.fromEntries(STACK_RESOURCES.map((r) => [r.logicalId, { Type: r.type, ...(r.retain ? { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } : {}) }])) }),
    }));
    cloudFormation.on(DeleteStackCommand).callsFake(() => {
      this.stackStatus = 'DELETE_IN_PROGRESS';
      return {};
    });
    const events: StackEvent[] = [
      { StackId: CDK_STACK_ARN, StackName: CDK_STACK_NAME, EventId: 'e3', LogicalResourceId: CDK_STACK_NAME, ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: 'DELETE_FAILED', ResourceStatusReason: 'The following resource(s) failed to delete: [PipelineRole]', Timestamp: new Date('2026-03-02T09:05:00Z') },
      { StackId: CDK_STACK_ARN, StackName: CDK_STACK_NAME, EventId: 'e2', LogicalResourceId: 'PipelineRole', ResourceType: 'AWS::IAM::Role', ResourceStatus: 'DELETE_FAILED', ResourceStatusReason: 'Cannot delete entity, must detach all policies first.', Timestamp: new Date('2026-03-02T09:04:00Z') },
      { StackId: CDK_STACK_ARN, StackName: CDK_STACK_NAME, EventId: 'e1', LogicalResourceId: 'OldQueue', ResourceType: 'AWS::SQS::Queue', ResourceStatus: 'DELETE_FAILED', ResourceStatusReason: 'an earlier deletion, before this one', Timestamp: new Date('2026-01-01T00:00:00Z') },
    ];
    cloudFormation.on(DescribeStackEventsCommand).callsFake(({ NextToken }: { NextToken?: string }) => (NextToken ? { StackEvents: [events[2]] } : { StackEvents: events.slice(0, 2), NextToken: 'page-2' }));
  }

  private installServiceCatalog(): void {
    const product = () => ({
      Name: 'adherence',
      Id: PRODUCT_ID,
      Arn: `arn:aws:servicecatalog:${REGION}:${ACCOUNT}:stack/adherence/${PRODUCT_ID}`,
      Type: 'CFN_STACK',
      Status: (this.options.productStatus ?? 'AVAILABLE') as 'AVAILABLE',
      LastRecordId: PROVISIONING_RECORD,
      LastProvisioningRecordId: PROVISIONING_RECORD,
      LastSuccessfulProvisioningRecordId: PROVISIONING_RECORD,
    });
    serviceCatalog.on(DescribeProvisionedProductCommand).callsFake((input: { Name?: string; Id?: string }) => {
      if (this.productExists && (input.Name === 'adherence' || input.Id === PRODUCT_ID)) return { ProvisionedProductDetail: product() };
      throw new ResourceNotFoundException({ message: `Provisioned product not found: ${input.Name ?? input.Id}`, $metadata: {} });
    });
    // The provisioning record's outputs come in pages; the stack ARN is on the second.
    const recordOutputs = [
      { OutputKey: 'TrainingPipelineArn', OutputValue: STACK_RESOURCES[0].physicalId },
      { OutputKey: 'TrainingInbox', OutputValue: `s3://${BUCKET}/projects/adherence/training/inbox/` },
      ...(this.options.recordNamesStack === false ? [] : [{ OutputKey: 'CloudformationStackARN', OutputValue: SC_STACK_ARN }]),
    ];
    serviceCatalog.on(DescribeRecordCommand).callsFake(({ Id, PageToken }: { Id: string; PageToken?: string }) => {
      if (Id === PROVISIONING_RECORD) {
        const detail = { RecordId: Id, Status: 'SUCCEEDED' as const, RecordType: 'PROVISION_PRODUCT' };
        return PageToken ? { RecordDetail: detail, RecordOutputs: recordOutputs.slice(2) } : { RecordDetail: detail, RecordOutputs: recordOutputs.slice(0, 2), NextPageToken: 'outputs-2' };
      }
      if (Id !== TERMINATION_RECORD) throw new ResourceNotFoundException({ message: `Record not found: ${Id}`, $metadata: {} });
      const status = this.nextRemovalStatus('SUCCEEDED');
      if (status === 'SUCCEEDED' && !this.options.productSurvivesTermination) {
        this.productExists = false;
        this.stackStatus = 'DELETE_COMPLETE';
      }
      if (status === 'FAILED') this.stackStatus = 'DELETE_FAILED';
      return {
        RecordDetail: {
          RecordId: Id,
          Status: status as 'SUCCEEDED',
          RecordType: 'TERMINATE_PROVISIONED_PRODUCT',
          ...(status === 'FAILED' ? { RecordErrors: [{ Code: 'CFN_STACK_DELETE_FAILED', Description: 'Resource PipelineRole: Cannot delete entity, must detach all policies first.' }] } : {}),
        },
      };
    });
    serviceCatalog.on(TerminateProvisionedProductCommand).callsFake(({ ProvisionedProductId }: { ProvisionedProductId?: string }) => {
      // A terminated product is gone: terminating it again is ResourceNotFound.
      if (!this.productExists || ProvisionedProductId !== PRODUCT_ID) throw new ResourceNotFoundException({ message: `Provisioned product not found: ${ProvisionedProductId}`, $metadata: {} });
      return { RecordDetail: { RecordId: TERMINATION_RECORD, Status: 'CREATED', RecordType: 'TERMINATE_PROVISIONED_PRODUCT' } };
    });
    serviceCatalog.on(SearchProvisionedProductsCommand).callsFake(() => ({ ProvisionedProducts: [{ Id: PRODUCT_ID, Name: 'adherence', Type: 'CFN_STACK', PhysicalId: SC_STACK_ARN }] }));
  }

  private installStepFunctions(): void {
    sfn.on(ListExecutionsCommand).callsFake(({ stateMachineArn, nextToken }: { stateMachineArn: string; nextToken?: string }) => {
      const names = this.options.runningExecutions?.[stateMachineArn] ?? [];
      // One execution per page.
      const index = Number(nextToken ?? 0);
      const page = names.slice(index, index + 1).map((name) => ({ name, executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, stateMachineArn, status: 'RUNNING' as const, startDate: new Date() }));
      return { executions: page, ...(index + 1 < names.length ? { nextToken: String(index + 1) } : {}) };
    });
  }

  private installS3(): void {
    s3.on(ListObjectVersionsCommand).callsFake(({ Prefix, KeyMarker, VersionIdMarker }: { Prefix: string; KeyMarker?: string; VersionIdMarker?: string }) => {
      const all = this.objects.filter((o) => o.key.startsWith(Prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const start = KeyMarker === undefined ? 0 : all.findIndex((o) => o.key === KeyMarker && o.versionId === VersionIdMarker) + 1;
      const page = all.slice(start, start + 2);
      const last = page.at(-1);
      const truncated = start + 2 < all.length;
      return {
        Versions: page.filter((o) => !o.deleteMarker).map((o) => ({ Key: o.key, VersionId: o.versionId, IsLatest: o.latest, Size: o.size })),
        DeleteMarkers: page.filter((o) => o.deleteMarker).map((o) => ({ Key: o.key, VersionId: o.versionId, IsLatest: o.latest })),
        IsTruncated: truncated,
        ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId } : {}),
      };
    });
    s3.on(DeleteObjectsCommand).callsFake(({ Delete }: { Delete: { Objects: { Key: string; VersionId?: string }[] } }) => {
      if (this.deleteObjectsDenied) throw Object.assign(new Error('User is not authorized to perform: s3:DeleteObjectVersion'), { name: 'AccessDenied' });
      const errors: { Key: string; VersionId?: string; Code: string; Message: string }[] = [];
      for (const target of Delete.Objects) {
        if (this.options.undeletableKeys?.includes(target.Key)) {
          errors.push({ Key: target.Key, VersionId: target.VersionId, Code: 'AccessDenied', Message: 'Access Denied' });
          continue;
        }
        const index = this.objects.findIndex((o) => o.key === target.Key && o.versionId === target.VersionId);
        if (index !== -1) this.objects.splice(index, 1);
      }
      return errors.length > 0 ? { Errors: errors } : {};
    });
  }

  private installDynamoDb(): void {
    // Deleted items an eventually consistent read may still return: only a ConsistentRead never does.
    const stale = new Map<string, Item[]>();
    const tableOf = (name: string): Item[] => {
      const entry = Object.entries(TABLES).find(([, physical]) => physical === name);
      if (!entry) throw Object.assign(new Error(`Requested resource not found: Table: ${name} not found`), { name: 'ResourceNotFoundException' });
      return this.tables[entry[0] as keyof typeof TABLES];
    };
    const readable = (name: string, consistent: boolean | undefined): Item[] => [...tableOf(name), ...(consistent ? [] : (stale.get(name) ?? []))];
    const sorted = (items: Item[]): Item[] => [...items].sort((a, b) => (a.pk + a.sk < b.pk + b.sk ? -1 : 1));
    const page = (items: Item[], startKey: Record<string, unknown> | undefined, size: number) => {
      const start = startKey ? items.findIndex((i) => i.pk === startKey.pk && i.sk === startKey.sk) + 1 : 0;
      const slice = items.slice(start, start + size);
      return { Items: structuredClone(slice), ...(start + size < items.length ? { LastEvaluatedKey: { pk: slice.at(-1)!.pk, sk: slice.at(-1)!.sk } } : {}) };
    };
    documents.on(ScanCommand).callsFake(({ TableName, ExclusiveStartKey, ConsistentRead }: { TableName: string; ExclusiveStartKey?: Record<string, unknown>; ConsistentRead?: boolean }) =>
      page(sorted(readable(TableName, ConsistentRead)), ExclusiveStartKey, 2),
    );
    documents.on(QueryCommand).callsFake((input: { TableName: string; ExpressionAttributeValues: Record<string, string>; ExclusiveStartKey?: Record<string, unknown>; ScanIndexForward?: boolean; ConsistentRead?: boolean }) => {
      const pk = input.ExpressionAttributeValues[':pk'];
      const prefix = input.ExpressionAttributeValues[':prefix'] ?? '';
      const matching = sorted(readable(input.TableName, input.ConsistentRead)).filter((i) => i.pk === pk && i.sk.startsWith(prefix));
      if (input.ScanIndexForward === false) matching.reverse();
      return page(matching, input.ExclusiveStartKey, 2);
    });
    documents.on(PutCommand).callsFake(({ TableName, Item }: { TableName: string; Item: Item }) => {
      if (this.auditWriteDenied && TableName === TABLES.audit) throw Object.assign(new Error('User is not authorized to perform: dynamodb:PutItem'), { name: 'AccessDeniedException' });
      const table = tableOf(TableName);
      if (table.some((i) => i.pk === Item.pk && i.sk === Item.sk)) throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      table.push(structuredClone(Item));
      return {};
    });
    const unprocessedLeft = new Map<string, number>();
    dynamodb.on(BatchWriteItemCommand).callsFake(({ RequestItems }: { RequestItems: Record<string, WriteRequest[]> }) => {
      const unprocessed: Record<string, WriteRequest[]> = {};
      for (const [tableName, requests] of Object.entries(RequestItems)) {
        const table = tableOf(tableName);
        if (!unprocessedLeft.has(tableName)) unprocessedLeft.set(tableName, this.options.unprocessedOnFirstWrite ?? 0);
        const skip = Math.min(unprocessedLeft.get(tableName)!, requests.length);
        unprocessedLeft.set(tableName, 0);
        if (skip > 0) unprocessed[tableName] = requests.slice(requests.length - skip);
        for (const request of requests.slice(0, requests.length - skip)) {
          const key = unmarshall(request.DeleteRequest!.Key!) as { pk: string; sk: string };
          const index = table.findIndex((i) => i.pk === key.pk && i.sk === key.sk);
          if (index !== -1 && !this.options.itemsThatComeBack?.includes(`${key.pk} ${key.sk}`)) stale.set(tableName, [...(stale.get(tableName) ?? []), ...table.splice(index, 1)]);
        }
      }
      return Object.keys(unprocessed).length > 0 ? { UnprocessedItems: unprocessed } : {};
    });
  }
}
