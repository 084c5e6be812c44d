/**
 * The feature store against the local cloud's emulators (dynalite and s3rver, in process),
 * through the DynamoDB and S3 adapters the Lambda functions and the CLI use: registration,
 * CSV ingestion to both stores, online retrieval (more ids than one BatchGetItem takes), a
 * late-arriving older row, and a point-in-time training set read back from S3.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getFeatureGroup, registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { ingestFeatures } from '../../../lambdas/core/features/ingestion';
import { getOnlineFeatures } from '../../../lambdas/core/features/online';
import type { FeatureStoreDependencies } from '../../../lambdas/core/features/store-dependencies';
import { buildTrainingSet, parseLabelCsv, trainingSetCsv } from '../../../lambdas/core/features/training-set';
import { featureStoreOverAws } from '../../../lambdas/shared/feature-store-clients';
import { type RunningEmulators, awsClientConfig, startEmulators } from '../../../local/runtime/emulators';
import { steppingClock, vitalsDefinition } from '../../unit/features/feature-fixtures';

const TABLE = 'FeatureStore';
const BUCKET = 'luminaops-artifacts-local';
const HEADER = 'patient_id,measured_at,heart_rate,smoker,ward';

describe('feature store on the local cloud emulators', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let s3: S3Client;
  let store: FeatureStoreDependencies;

  beforeAll(async () => {
    emulators = await startEmulators();
    const config = awsClientConfig(emulators);
    dynamodb = new DynamoDBClient(config.dynamodb);
    s3 = new S3Client(config.s3);
    // The platform tables' key schema (lib/constructs/platform-tables.ts).
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    store = featureStoreOverAws({ dynamodb, s3 }, { tableName: TABLE, bucket: BUCKET }, steppingClock());
    await registerFeatureGroup(store.table, vitalsDefinition(), store);
  });

  afterAll(async () => {
    dynamodb.destroy();
    s3.destroy();
    await emulators.stop();
  });

  it('ingests a CSV into S3 and DynamoDB and serves 250 ids online in one call', async () => {
    const lines = Array.from({ length: 240 }, (_, i) => `p-${i},2026-01-0${1 + (i % 5)}T08:00:00Z,${60 + (i % 40)},${i % 2 === 0},cardio`);

    const ingestion = await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\n${lines.join('\n')}\n` }, sourceName: 'vitals.csv' });
    const ids = Array.from({ length: 250 }, (_, i) => `p-${i}`);
    const online = await getOnlineFeatures(store.table, { group: 'patient-vitals', entityIds: ids });

    expect(ingestion).toMatchObject({ status: 'complete', rows: 240, entities: 240, online: { written: 240, keptNewer: 0 } });
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: ingestion.parts[0] }));
    const stored = (await object.Body!.transformToString()).trimEnd().split('\n');
    expect(ingestion.parts[0]).toMatch(/^features\/patient-vitals\/v1\/ingest=\d{8}T\d{6}\.\d{3}Z\/part-0000\.jsonl$/);
    expect(stored).toHaveLength(240);
    expect(JSON.parse(stored[7])).toEqual({ patient_id: 'p-7', measured_at: '2026-01-03T08:00:00Z', heart_rate: 67, smoker: false, ward: 'cardio' });
    expect(Object.keys(online.entities)).toHaveLength(240);
    expect(online.entities['p-7']).toEqual({ eventTime: '2026-01-03T08:00:00.000Z', features: { heart_rate: 67, smoker: false, ward: 'cardio' } });
    expect(online.notFound).toEqual(ids.slice(240));
  });

  it('a late-arriving older row stays out of the online store but joins training sets point in time', async () => {
    await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\nq-1,2026-02-10T00:00:00Z,95,true,oncology\nq-2,2026-02-01T00:00:00Z,61,false,general\n` } });
    // Arrives later, with an older event time for q-1 (valid on Feb 5) and a newer one for q-2 (Feb 20).
    const late = await ingestFeatures(store, { group: 'patient-vitals', source: { csv: `${HEADER}\nq-1,2026-02-04T00:00:00Z,77,false,oncology\nq-2,2026-02-20T00:00:00Z,99,true,general\n` } });
    const online = await getOnlineFeatures(store.table, { group: 'patient-vitals', version: 1, entityIds: ['q-1', 'q-2'] });
    const labels = parseLabelCsv('patient_id,label_time,readmitted\nq-1,2026-02-05T00:00:00Z,1\nq-2,2026-02-05T00:00:00Z,0\nq-1,2026-02-11T00:00:00Z,1\n', {
      entityIdColumn: 'patient_id',
      eventTimeColumn: 'label_time',
      labelColumn: 'readmitted',
    });

    const set = await buildTrainingSet(store, { labels, featureGroups: [{ name: 'patient-vitals', features: ['heart_rate'] }], includeFeatureTimes: true });

    expect(late.online).toEqual({ written: 1, keptNewer: 1 });
    expect(online.entities['q-1'].features.heart_rate).toBe(95);
    expect(online.entities['q-2'].features.heart_rate).toBe(99);
    expect(trainingSetCsv(set)).toBe(
      [
        'patient_id,label_time,readmitted,heart_rate,patient-vitals__event_time',
        'q-1,2026-02-05T00:00:00Z,1,77,2026-02-04T00:00:00.000Z',
        'q-2,2026-02-05T00:00:00Z,0,61,2026-02-01T00:00:00.000Z',
        'q-1,2026-02-11T00:00:00Z,1,95,2026-02-10T00:00:00.000Z',
        '',
      ].join('\n'),
    );
    expect(set.lineage).toEqual([{ name: 'patient-vitals', version: (await getFeatureGroup(store.table, 'patient-vitals')).version }]);
  });
});
