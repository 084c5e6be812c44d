import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledgements that recur wherever CDK grants are used, with one reason each. They are
 * applied to the construct that owns the grant, never to a whole stack.
 */

/** Grants write one inline policy per role, holding exactly that role's permissions. */
export function acknowledgeGrantPolicies(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'HIPAA.Security-IAMNoInlinePolicy',
    reason: 'CDK grants write a per-role inline policy with exactly the permissions that role needs; a managed policy would be shared and broader.',
  });
}

/** The action wildcards CDK's S3 and KMS grants expand to, each bounded by the grant's resources. */
export function acknowledgeGrantActionWildcards(scope: IConstruct): void {
  const reasons: Record<string, string> = {
    's3:GetObject*': 'grantRead: GetObject and its Version/Tagging variants, on the granted key prefix only.',
    's3:GetBucket*': 'grantRead: bucket location and versioning metadata of the one granted bucket.',
    's3:List*': 'grantRead: listing the one granted bucket.',
    's3:Abort*': 'grantPut: aborting multipart uploads of the granted key prefix only.',
    's3:DeleteObject*': 'grantReadWrite of the product asset deployment: replacing bundles in the one asset bucket.',
    'kms:GenerateDataKey*': 'Encrypting objects and items with the one platform key (resource-scoped to it).',
    'kms:ReEncrypt*': 'Re-encrypting with the one platform key (resource-scoped to it).',
  };
  Validations.of(scope).acknowledge(
    ...Object.entries(reasons).map(([action, reason]) => ({ id: `AwsSolutions-IAM5[Action::${action}]`, reason })),
  );
}

/** Object keys under a prefix cannot be listed at deploy time. */
export function acknowledgePrefixWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  Validations.of(scope).acknowledge(...resources.map((resource) => ({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason })));
}
