import { CfnOutput, Fn } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TABLE_NAMES, type TableName } from './platform-tables';

/** The shared resources an ML project uses, as interfaces (grants work on both sides). */
export interface PlatformResources {
  readonly key: kms.IKey;
  readonly artifacts: s3.IBucket;
  readonly tables: Readonly<Record<TableName, dynamodb.ITable>>;
  readonly alerts: sns.ITopic;
}

const exportName = (platformStackName: string, what: string): string => `${platformStackName}:${what}`;
const tableExport = (name: TableName): string => `Table-${name}`;

/**
 * Publishes the platform's shared resources as stack exports. ML projects are separate
 * templates (a Service Catalog product, or a stack deployed with `cdk deploy`), so they
 * reach the platform through these exports and nothing else.
 */
export class PlatformExports extends Construct {
  constructor(scope: Construct, id: string, platformStackName: string, resources: PlatformResources) {
    super(scope, id);
    const out = (what: string, value: string, description: string): void => {
      new CfnOutput(this, what, { value, description, exportName: exportName(platformStackName, what) });
    };
    out('KeyArn', resources.key.keyArn, 'KMS key for all platform data');
    out('ArtifactBucketArn', resources.artifacts.bucketArn, 'Artifact bucket ARN');
    out('ArtifactBucketName', resources.artifacts.bucketName, 'Artifact bucket name');
    out('AlertsTopicArn', resources.alerts.topicArn, 'Alerts topic ARN');
    for (const name of TABLE_NAMES) {
      out(tableExport(name), resources.tables[name].tableArn, `${name} table ARN`);
    }
  }
}

/** Imports the platform's shared resources into an ML project template. */
export function importPlatform(scope: Construct, platformStackName: string): PlatformResources {
  const imported = (what: string): string => Fn.importValue(exportName(platformStackName, what));
  const key = kms.Key.fromKeyArn(scope, 'PlatformKey', imported('KeyArn'));
  const artifacts = s3.Bucket.fromBucketAttributes(scope, 'PlatformArtifacts', {
    bucketArn: imported('ArtifactBucketArn'),
    bucketName: imported('ArtifactBucketName'),
    encryptionKey: key,
  });
  const tables = Object.fromEntries(
    TABLE_NAMES.map((name) => [
      name,
      dynamodb.Table.fromTableAttributes(scope, `Platform-${name}`, { tableArn: imported(tableExport(name)), encryptionKey: key }),
    ]),
  ) as Record<TableName, dynamodb.ITable>;
  const alerts = sns.Topic.fromTopicAttributes(scope, 'PlatformAlerts', { topicArn: imported('AlertsTopicArn'), keyArn: key.keyArn });
  return { key, artifacts, tables, alerts };
}

/** The persona roles a project grants access to its own resources (e.g. invoking its endpoint). */
export interface PlatformPersonas {
  readonly dataScientist: iam.IRole;
  readonly mlEngineer: iam.IRole;
  readonly modelApprover: iam.IRole;
}

/** Export names (after `<platform stack>:`) of the persona role ARNs. */
export const PERSONA_EXPORTS: Readonly<Record<keyof PlatformPersonas, string>> = {
  dataScientist: 'DataScientistRoleArn',
  mlEngineer: 'MlEngineerRoleArn',
  modelApprover: 'ModelApproverRoleArn',
};

/** Publishes the persona role ARNs as stack exports (projects grant them resource-based permissions). */
export function exportPersonas(scope: Construct, platformStackName: string, personas: PlatformPersonas): void {
  for (const [which, what] of Object.entries(PERSONA_EXPORTS) as [keyof PlatformPersonas, string][]) {
    new CfnOutput(scope, what, { value: personas[which].roleArn, description: `${which} persona role ARN`, exportName: exportName(platformStackName, what) });
  }
}

/**
 * Imports the persona roles into an ML project template. Immutable: a project never edits a
 * platform role's policy, so grants to them land on the project's resources (e.g. a Lambda
 * permission on the endpoint's function URL).
 */
export function importPersonas(scope: Construct, platformStackName: string): PlatformPersonas {
  const role = (which: keyof PlatformPersonas): iam.IRole =>
    iam.Role.fromRoleArn(scope, `Persona-${which}`, Fn.importValue(exportName(platformStackName, PERSONA_EXPORTS[which])), { mutable: false });
  return { dataScientist: role('dataScientist'), mlEngineer: role('mlEngineer'), modelApprover: role('modelApprover') };
}
