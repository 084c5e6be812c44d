import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { RegistryApiEnvironment } from '../../lambdas/registry-api/environment';
import { LuminaFunction } from './lumina-function';
import { acknowledgePrefixWildcards } from './nag-acknowledgements';
import type { PlatformResources } from './platform-contract';

export interface RegistryApiProps {
  readonly platform: PlatformResources;
  /** The persona roles; a caller's assumed role decides what it may do through the API. */
  readonly personas: {
    readonly dataScientist: iam.IRole;
    readonly mlEngineer: iam.IRole;
    readonly modelApprover: iam.IRole;
  };
}

/**
 * The governed way to change the model registry: promotions, rollbacks and model-card
 * approvals, each checked against the caller's persona and the project's promotion policy
 * and written to the audit trail. A function URL with IAM auth: only principals granted
 * `lambda:InvokeFunctionUrl` reach it, and the handler maps the signing role to a persona.
 */
export class RegistryApi extends Construct {
  readonly function: LuminaFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RegistryApiProps) {
    super(scope, id);
    const { platform, personas } = props;
    const stack = Stack.of(this);
    this.function = new LuminaFunction(this, 'Handler', {
      entry: 'lambdas/registry-api/index.ts',
      description: 'LuminaOps registry API: persona-checked, policy-checked, audited promotions, rollbacks and model-card approvals',
      environmentSchema: RegistryApiEnvironment,
      environment: {
        MODEL_REGISTRY_TABLE: platform.tables.registry.tableName,
        AUDIT_TABLE: platform.tables.audit.tableName,
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        DATA_SCIENTIST_ROLE_NAME: personas.dataScientist.roleName,
        ML_ENGINEER_ROLE_NAME: personas.mlEngineer.roleName,
        MODEL_APPROVER_ROLE_NAME: personas.modelApprover.roleName,
        PERSONA_ACCOUNT: stack.account,
      },
      encryptionKey: platform.key,
      memorySize: 512,
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    platform.tables.registry.grantReadWriteData(this.function);
    // The audit trail is append-only: read, and put (conditional on a new key), never update or delete.
    platform.tables.audit.grantReadData(this.function);
    platform.tables.audit.grant(this.function, 'dynamodb:PutItem');
    platform.key.grantEncrypt(this.function);
    platform.artifacts.grantRead(this.function, 'projects/*/config/project.config.json');
    platform.artifacts.grantPut(this.function, 'projects/*/registry/*');

    const bucketArn = `<${stack.getLogicalId(platform.artifacts.node.defaultChild as CfnElement)}.Arn>`;
    acknowledgePrefixWildcards(
      this.function,
      [`${bucketArn}/projects/*/config/project.config.json`, `${bucketArn}/projects/*/registry/*`],
      "The registry API serves every ML project: it reads only each project's configuration object (the promotion policy) and writes only rendered model cards under projects/<project>/registry/.",
    );
    Validations.of(this.function).acknowledge({
      id: 'HIPAA.Security-LambdaConcurrency',
      reason: 'Called by people (approvers and engineers) through an IAM-authorised URL at human rates; every write is a conditional DynamoDB write, so a burst cannot corrupt the registry.',
    });
  }
}
