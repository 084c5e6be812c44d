import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PredictEnvironment } from '../../lambdas/predict/environment';
import { LuminaFunction } from './lumina-function';
import type { MlProjectConfig } from './ml-project-parameters';
import { acknowledgePrefixWildcards } from './nag-acknowledgements';
import type { PlatformResources } from './platform-contract';

export interface OnlineEndpointProps {
  readonly config: MlProjectConfig;
  readonly platform: PlatformResources;
  /** Principals allowed to call the endpoint (function URL with IAM auth). */
  readonly invokers: readonly iam.IRole[];
  readonly nag: {
    /** How the imported artifact bucket's ARN renders in findings (see TrainingPipelineNagContext). */
    readonly artifactBucketArn: string;
  };
}

/**
 * The project's online endpoint: a Lambda serving the registry's production model with
 * onnxruntime-node behind an IAM-authorised function URL. It reads the production pointer
 * and the A/B configuration from the registry (re-checked every few seconds, so promotions,
 * rollbacks and split changes apply without a redeploy), the model artifacts from the
 * project's prefix, and writes one prediction log line per prediction under
 * `projects/<name>/predictions/endpoint/` where the monitor and ground-truth joins read it.
 */
export class OnlineEndpoint extends Construct {
  readonly function: LuminaFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: OnlineEndpointProps) {
    super(scope, id);
    const { config, platform } = props;
    const projectPrefix = `projects/${config.projectName}`;
    this.function = new LuminaFunction(this, 'Predict', {
      entry: 'lambdas/predict/index.ts',
      description: `Online predictions of ${config.projectName}: validated input, probability, confidence, risk factors, A/B variant`,
      environmentSchema: PredictEnvironment,
      environment: {
        PROJECT_NAME: config.projectName,
        MODEL_REGISTRY_TABLE: platform.tables.registry.tableName,
        ARTIFACT_BUCKET: platform.artifacts.bucketName,
        PREDICTION_LOG_BUCKET: platform.artifacts.bucketName,
        MODEL_CHECK_INTERVAL_SECONDS: '5',
        AB_CONFIG_CACHE_SECONDS: '1',
        MAX_BODY_BYTES: '262144',
        MAX_RECORDS: '100',
        TOP_RISK_FACTORS: '5',
        UNKNOWN_CATEGORY_POLICY: 'reject',
        ENTITY_ID_COLUMN: config.entityIdColumn,
        FEATURE_STORE_TABLE: platform.tables.featureStore.tableName,
      },
      encryptionKey: platform.key,
      // onnxruntime-node and TreeSHAP are CPU bound: memory buys vCPU.
      memorySize: 2048,
      timeout: Duration.seconds(15),
      nativeModules: ['onnxruntime-node'],
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    // Resource-based permissions on the function, always: the invokers are platform roles this template must
    // not edit, and a grant could otherwise land on (or be silently skipped for) the role's own policy.
    // Function URLs with IAM auth need both actions (InvokeFunction only when invoked through the URL).
    props.invokers.forEach((principal, index) => {
      this.function.addPermission(`InvokeUrl${index}`, {
        principal,
        action: 'lambda:InvokeFunctionUrl',
        functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
      });
      this.function.addPermission(`InvokeViaUrl${index}`, { principal, action: 'lambda:InvokeFunction', invokedViaFunctionUrl: true });
    });

    platform.tables.registry.grantReadData(this.function);
    // `{ "entityId": ... }` requests read the entity's online features (the production model's feature groups).
    platform.tables.featureStore.grantReadData(this.function);
    platform.artifacts.grantRead(this.function, `${projectPrefix}/runs/*`);
    platform.artifacts.grantPut(this.function, `${projectPrefix}/predictions/endpoint/*`);
    platform.key.grantEncryptDecrypt(this.function);

    const prefix = `${props.nag.artifactBucketArn}/projects/<ProjectName>`;
    acknowledgePrefixWildcards(
      this.function,
      [`${prefix}/runs/*`, `${prefix}/predictions/endpoint/*`],
      'Reads the model artifacts of any run of this project (the production version changes at runtime) and writes prediction logs under its own prefix only.',
    );
  }
}
