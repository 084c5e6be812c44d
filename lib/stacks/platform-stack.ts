import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MlProjectPortfolio } from '../../service-catalog/ml-project-portfolio';
import { AlertsTopic } from '../constructs/alerts-topic';
import { ArtifactStore } from '../constructs/artifact-store';
import { PersonaRoles } from '../constructs/persona-roles';
import { exportPersonas, type PlatformResources, PlatformExports } from '../constructs/platform-contract';
import { PlatformKey } from '../constructs/platform-key';
import { PlatformTables } from '../constructs/platform-tables';
import { RegistryApi } from '../constructs/registry-api';

/**
 * The shared platform, deployed once per account and region: the key, the artifact store,
 * the registry tables, the alerts topic, the persona roles, the registry API through which
 * they change the registry, and the Service Catalog portfolio from which ML projects are
 * created.
 */
export class PlatformStack extends Stack {
  readonly resources: PlatformResources;
  readonly personas: PersonaRoles;
  readonly catalog: MlProjectPortfolio;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const { key } = new PlatformKey(this, 'Encryption');
    const store = new ArtifactStore(this, 'ArtifactStore', { encryptionKey: key });
    const tables = new PlatformTables(this, 'Tables', { encryptionKey: key });
    const alerts = new AlertsTopic(this, 'Alerts', { encryptionKey: key });
    this.resources = { key, artifacts: store.bucket, tables: tables.all, alerts: alerts.topic };

    new PlatformExports(this, 'Exports', this.stackName, this.resources);
    this.personas = new PersonaRoles(this, 'Personas', this.resources);
    exportPersonas(this.node.findChild('Exports'), this.stackName, this.personas);
    const registryApi = new RegistryApi(this, 'RegistryApi', { platform: this.resources, personas: this.personas });
    this.personas.allowRegistryApi(registryApi.function);
    new CfnOutput(this, 'RegistryApiUrl', { value: registryApi.url.url, description: 'Registry API (IAM-authorised function URL): promote, rollback, approve-card, audit' });
    this.catalog = new MlProjectPortfolio(this, 'Catalog', {
      platformStackName: this.stackName,
      platform: this.resources,
      accessLogs: store.accessLogs,
      launchers: [this.personas.dataScientist, this.personas.mlEngineer],
    });
  }
}
