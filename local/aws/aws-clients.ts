/**
 * The AWS SDK clients a `lumina ... --aws` command uses, all for one region. The region is
 * --region when given, else what the SDK resolves itself (AWS_REGION, the profile's region,
 * EC2 instance metadata); credentials come from the SDK's default chain. These commands
 * talk to a real account: nothing here points at the local cloud.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly serviceCatalog: ServiceCatalogClient;
  readonly sfn: SFNClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sts: STSClient;
}

/** No --region and nothing the SDK could resolve one from. */
export class MissingRegionError extends Error {
  constructor(cause: string) {
    super(`no AWS region: pass --region REGION, or set AWS_REGION or a region in your AWS profile (the SDK said: ${cause})`);
    this.name = 'MissingRegionError';
  }
}

/** The region every client of the command calls: the flag's, else the SDK's own resolution, resolved once so all clients agree. */
export async function resolveRegion(flag: string | undefined): Promise<string> {
  if (flag !== undefined) return flag;
  try {
    return await new STSClient({}).config.region();
  } catch (error) {
    throw new MissingRegionError(error instanceof Error ? error.message : String(error));
  }
}

export function createAwsClients(region: string): AwsClients {
  const config = { region };
  return {
    cloudFormation: new CloudFormationClient(config),
    serviceCatalog: new ServiceCatalogClient(config),
    sfn: new SFNClient(config),
    s3: new S3Client(config),
    dynamodb: new DynamoDBClient(config),
    sts: new STSClient(config),
  };
}

export interface AwsCaller {
  /** The principal's ARN (an assumed-role session or a user): who the audit trail says deleted. */
  readonly arn: string;
  readonly account: string;
}

/** Node's codes for a host that cannot be reached: not a credentials problem. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Who the credentials belong to; fails before anything else is read when there are none. */
export async function callerIdentity(sts: STSClient): Promise<AwsCaller> {
  let identity;
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    const { name, message, code } = error as Error & { code?: string };
    if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
      throw new Error(`cannot reach AWS STS (${code}: ${message}): check the network, a proxy (HTTPS_PROXY) or the region`);
    }
    throw new Error(`cannot call AWS with the credentials found (${name}: ${message}); configure them with AWS_PROFILE, 'aws sso login' or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables`);
  }
  if (!identity.Arn || !identity.Account) throw new Error('STS GetCallerIdentity returned no Arn or Account');
  return { arn: identity.Arn, account: identity.Account };
}
