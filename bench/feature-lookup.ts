/**
 * Online feature lookup from the local store: 10,000 entities are ingested (through the CSV
 * ingestion, into dynalite and s3rver, in process) and then 100 random entity ids are read
 * per lookup, as the endpoint would (BatchGetItem in one chunk of 100, version pinned), for
 * p50/p95/p99. Also: the same lookup when the latest version is resolved first, the ingestion
 * itself, and the pure point-in-time join of 1,000,000 feature rows with 200,000 labels.
 *
 * The local DynamoDB is dynalite (LevelDB in memory, HTTP on 127.0.0.1): the figures measure
 * the code path and the emulator, not DynamoDB's service latency.
 *
 * Run: npx tsx bench/feature-lookup.ts
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { registerFeatureGroup } from '../lambdas/core/features/feature-groups';
import { ingestFeatures } from '../lambdas/core/features/ingestion';
import { getOnlineFeatures } from '../lambdas/core/features/online';
import { type LabelSet, type TimedFeatureRow, buildFeatureTimeline, pointInTimeJoin } from '../lambdas/core/features/point-in-time';
import { featureStoreOverAws } from '../lambdas/shared/feature-store-clients';
import { awsClientConfig, startEmulators } from '../local/runtime/emulators';
import { seededRandom } from './synthetic-gbdt-model';

const ENTITIES = 10_000;
const IDS_PER_LOOKUP = 100;
const WARMUP = 30;
const LOOKUPS = 300;
const PIT_FEATURE_ROWS = 1_000_000;
const PIT_LABELS = 200_000;


function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

async function timeLookups(run: () => Promise<unknown>): Promise<{ p50: number; p95: number; p99: number; mean: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

async function main(): Promise<void> {
  const emulators = await startEmulators();
  const config = awsClientConfig(emulators);
  const dynamodb = new DynamoDBClient(config.dynamodb);
  const s3 = new S3Client(config.s3);
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'FeatureStore',
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
    await s3.send(new CreateBucketCommand({ Bucket: 'bench-artifacts' }));
    const store = featureStoreOverAws({ dynamodb, s3 }, { tableName: 'FeatureStore', bucket: 'bench-artifacts' });
    const numeric = Array.from({ length: 8 }, (_, i) => ({ name: `lab_${i}`, type: 'numeric' as const, description: 'a lab value' }));
    await registerFeatureGroup(
      store.table,
      {
        name: 'bench-vitals',
        description: 'benchmark group: 8 numeric, 1 boolean and 1 categorical feature',
        entityIdColumn: 'patient_id',
        eventTimeColumn: 'measured_at',
        features: [
          { name: 'patient_id', type: 'string' },
          { name: 'measured_at', type: 'string' },
          ...numeric,
          { name: 'smoker', type: 'boolean' },
          { name: 'ward', type: 'categorical', categories: ['cardio', 'oncology', 'general'] },
        ],
        author: 'bench',
      },
      store,
    );

    const rand = seededRandom(7);
    const header = ['patient_id', 'measured_at', ...numeric.map((f) => f.name), 'smoker', 'ward'].join(',');
    const lines = Array.from({ length: ENTITIES }, (_, i) => {
      const values = numeric.map(() => (rand() * 100).toFixed(3));
      return [`p-${i}`, new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 86_400_000 * 30)).toISOString(), ...values, rand() < 0.3, ['cardio', 'oncology', 'general'][i % 3]].join(',');
    });
    const ingestStart = performance.now();
    const ingestion = await ingestFeatures(store, { group: 'bench-vitals', source: { csv: `${header}\n${lines.join('\n')}\n` }, sourceName: 'bench' });
    const ingestSeconds = (performance.now() - ingestStart) / 1000;
    console.log(`ingested ${ingestion.rows} rows (${ingestion.entities} entities, ${ingestion.online!.written} online puts) in ${ingestSeconds.toFixed(2)} s: ${Math.round(ingestion.rows / ingestSeconds)} rows/s`);

    const pick = seededRandom(11);
    const ids = (): string[] => Array.from({ length: IDS_PER_LOOKUP }, () => `p-${Math.floor(pick() * ENTITIES)}`);
    let found = 0;
    let asked = 0;
    const pinned = await timeLookups(async () => {
      const request = ids();
      const result = await getOnlineFeatures(store.table, { group: 'bench-vitals', version: 1, entityIds: request });
      found += Object.keys(result.entities).length;
      asked += new Set(request).size;
    });
    if (found !== asked) throw new Error(`lookups found ${found} of ${asked} ingested entities`);
    console.log(`online lookup, ${IDS_PER_LOOKUP} ids, version pinned (${LOOKUPS} lookups): p50 ${ms(pinned.p50)}, p95 ${ms(pinned.p95)}, p99 ${ms(pinned.p99)}, mean ${ms(pinned.mean)}`);
    const latest = await timeLookups(() => getOnlineFeatures(store.table, { group: 'bench-vitals', entityIds: ids() }));
    console.log(`online lookup, ${IDS_PER_LOOKUP} ids, latest version resolved first: p50 ${ms(latest.p50)}, p95 ${ms(latest.p95)}, p99 ${ms(latest.p99)}`);

    // The offline join, pure: 100,000 entities x 10 rows, labels at random times.
    const joinRand = seededRandom(3);
    const entities = PIT_FEATURE_ROWS / 10;
    const rows: TimedFeatureRow[] = Array.from({ length: PIT_FEATURE_ROWS }, () => ({
      entityId: `p-${Math.floor(joinRand() * entities)}`,
      eventTimeMs: Date.UTC(2025, 0, 1) + Math.floor(joinRand() * 365 * 86_400_000),
      values: { lab_0: joinRand() },
    }));
    const labels: LabelSet = {
      entityIdColumn: 'patient_id',
      eventTimeColumn: 'label_time',
      labelColumn: 'y',
      rows: Array.from({ length: PIT_LABELS }, (_, i) => {
        const eventTimeMs = Date.UTC(2025, 0, 1) + Math.floor(joinRand() * 365 * 86_400_000);
        return { row: i + 2, entityId: `p-${Math.floor(joinRand() * entities)}`, eventTimeMs, eventTime: new Date(eventTimeMs).toISOString(), label: i % 2 };
      }),
    };
    const joinStart = performance.now();
    const timeline = buildFeatureTimeline('bench', 1, ['lab_0'], rows);
    const indexed = performance.now();
    const joined = pointInTimeJoin(labels, [timeline]);
    const joinEnd = performance.now();
    console.log(
      `point-in-time join: ${PIT_FEATURE_ROWS.toLocaleString('en')} feature rows indexed in ${ms(indexed - joinStart)}, ${PIT_LABELS.toLocaleString('en')} labels joined in ${ms(joinEnd - indexed)} (${joined.stats[0].matched} matched)`,
    );

    console.log(
      JSON.stringify({
        benchmark: 'feature-lookup',
        entities: ENTITIES,
        idsPerLookup: IDS_PER_LOOKUP,
        lookups: LOOKUPS,
        onlineP50Ms: Number(pinned.p50.toFixed(3)),
        onlineP95Ms: Number(pinned.p95.toFixed(3)),
        onlineP99Ms: Number(pinned.p99.toFixed(3)),
        onlineLatestP95Ms: Number(latest.p95.toFixed(3)),
        ingestRowsPerSecond: Math.round(ingestion.rows / ingestSeconds),
        pitFeatureRows: PIT_FEATURE_ROWS,
        pitLabels: PIT_LABELS,
        pitIndexMs: Number((indexed - joinStart).toFixed(1)),
        pitJoinMs: Number((joinEnd - indexed).toFixed(1)),
      }),
    );
  } finally {
    dynamodb.destroy();
    s3.destroy();
    await emulators.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
