/**
 * The platform as deployed in AWS, read from the platform stack's exports: the artifact bucket
 * and the tables. These are the exports ML projects import (lib/constructs/platform-contract.ts),
 * so a command reads exactly what the projects use.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { TABLE_NAMES, type TableName } from '../../lib/constructs/platform-tables';
import { describeStack } from './cloudformation-stack';

export interface AwsPlatform {
  readonly stackName: string;
  readonly artifactBucket: string;
  /** Physical table names, from the `Table-<name>` exports (table ARNs). */
  readonly tables: Readonly<Record<TableName, string>>;
}

export async function resolveAwsPlatform(cloudFormation: CloudFormationClient, stackName: string, region: string): Promise<AwsPlatform> {
  const stack = await describeStack(cloudFormation, stackName);
  if (!stack) throw new Error(`no CloudFormation stack named ${stackName} in ${region}: deploy the platform first (npx cdk deploy ${stackName}), or pass the right --platform-stack or --region`);
  const exports = new Map((stack.Outputs ?? []).flatMap((o) => (o.ExportName && o.OutputValue !== undefined ? [[o.ExportName, o.OutputValue] as const] : [])));
  const exported = (what: string): string => {
    const value = exports.get(`${stackName}:${what}`);
    if (value === undefined || value === '') throw new Error(`stack ${stackName} has no output exported as ${stackName}:${what}; is it the LuminaOps platform stack?`);
    return value;
  };
  const tables = {} as Record<TableName, string>;
  for (const table of TABLE_NAMES) tables[table] = tableNameFromArn(exported(`Table-${table}`), `${stackName}:Table-${table}`);
  return { stackName, artifactBucket: exported('ArtifactBucketName'), tables };
}

/** `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME` → NAME. */
function tableNameFromArn(arn: string, exportName: string): string {
  const match = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([A-Za-z0-9_.-]{3,255})$/.exec(arn);
  if (!match) throw new Error(`the export ${exportName} is '${arn}', not a DynamoDB table ARN`);
  return match[1];
}
