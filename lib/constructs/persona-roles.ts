import { ArnFormat, type CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgeGrantActionWildcards, acknowledgeGrantPolicies, acknowledgePrefixWildcards } from './nag-acknowledgements';
import type { PlatformResources } from './platform-contract';

/**
 * The three people the platform is built for, as IAM roles in this account. Permissions
 * separate data science from infrastructure: a data scientist drops data, reads results and
 * launches projects from Service Catalog but cannot deploy or change infrastructure; an ML
 * engineer deploys with the CDK bootstrap roles; a model approver reads evidence and records
 * approvals through the registry API, and can neither deploy nor write data. Nobody writes
 * the registry table directly: changes go through the registry API, which audits them.
 */
export class PersonaRoles extends Construct {
  readonly dataScientist: iam.Role;
  readonly mlEngineer: iam.Role;
  readonly modelApprover: iam.Role;

  constructor(scope: Construct, id: string, platform: PlatformResources) {
    super(scope, id);
    const stack = Stack.of(this);
    const account = new iam.AccountPrincipal(stack.account);

    this.dataScientist = new iam.Role(this, 'DataScientist', {
      assumedBy: account,
      description: 'LuminaOps data scientist: drops data, reads results, launches ML projects from Service Catalog',
    });
    platform.artifacts.grantRead(this.dataScientist, 'projects/*');
    platform.artifacts.grantPut(this.dataScientist, 'projects/*/training/inbox/*');
    platform.artifacts.grantPut(this.dataScientist, 'projects/*/inference/inbox/*');
    platform.tables.registry.grantReadData(this.dataScientist);
    platform.tables.experiments.grantReadData(this.dataScientist);
    platform.tables.featureStore.grantReadData(this.dataScientist);
    this.dataScientist.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RunAndWatchProjectPipelines',
        actions: ['states:StartExecution', 'states:DescribeExecution', 'states:ListExecutions', 'states:GetExecutionHistory'],
        resources: [
          stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          stack.formatArn({ service: 'states', resource: 'execution', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ],
        conditions: { StringEquals: { 'aws:ResourceTag/luminaops:component': 'pipeline' } },
      }),
    );

    this.mlEngineer = new iam.Role(this, 'MlEngineer', {
      assumedBy: account,
      description: 'LuminaOps ML engineer: deploys the platform and projects through the CDK bootstrap roles',
    });
    this.mlEngineer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DeployThroughCdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'cdk-*' })],
      }),
    );
    platform.artifacts.grantRead(this.mlEngineer, 'projects/*');
    for (const table of Object.values(platform.tables)) table.grantReadData(this.mlEngineer);

    this.modelApprover = new iam.Role(this, 'ModelApprover', {
      assumedBy: account,
      description: 'LuminaOps model approver: reviews model cards and evidence, records approvals and stage changes through the registry API',
    });
    platform.artifacts.grantRead(this.modelApprover, 'projects/*');
    // Read only: approvals and stage changes go through the registry API, which checks the
    // persona and the promotion policy and writes the audit trail (allowRegistryApi).
    platform.tables.registry.grantReadData(this.modelApprover);
    platform.tables.audit.grantReadData(this.modelApprover);
    platform.tables.experiments.grantReadData(this.modelApprover);

    const bucketArn = `<${stack.getLogicalId(platform.artifacts.node.defaultChild as CfnElement)}.Arn>`;
    const prefixReason = 'Scoped to the projects/ area of the artifact bucket: personas work across the ML projects they are entitled to, whose keys are not known at deploy time.';
    for (const role of [this.dataScientist, this.mlEngineer, this.modelApprover]) {
      acknowledgeGrantPolicies(role);
      acknowledgeGrantActionWildcards(role);
      acknowledgePrefixWildcards(role, [`${bucketArn}/projects/*`], prefixReason);
    }
    acknowledgePrefixWildcards(
      this.dataScientist,
      [`${bucketArn}/projects/*/training/inbox/*`, `${bucketArn}/projects/*/inference/inbox/*`],
      "Data scientists may drop files only into projects' training and inference inboxes.",
    );
    acknowledgePrefixWildcards(
      this.dataScientist,
      [
        stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        stack.formatArn({ service: 'states', resource: 'execution', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
      'Limited by the aws:ResourceTag/luminaops:component = pipeline condition to the projects\' pipelines.',
    );
    acknowledgePrefixWildcards(
      this.mlEngineer,
      [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'cdk-*' })],
      'The CDK bootstrap roles (deploy, file publishing, lookup) of this account; their names carry the bootstrap qualifier.',
    );
  }

  /**
   * Lets the ML engineer and the model approver call the registry API's IAM-authorised
   * function URL; what each may do through it is the API's persona table
   * (lambdas/core/governance/personas.ts). Data scientists get no access: they only read
   * the registry, which their table grants already allow.
   */
  allowRegistryApi(registryApi: lambda.IFunction): void {
    for (const role of [this.mlEngineer, this.modelApprover]) registryApi.grantInvokeUrl(role);
  }
}
