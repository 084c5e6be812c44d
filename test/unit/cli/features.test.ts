/**
 * `lumina features register | list | describe | ingest | get` over the fake local cloud, with
 * its DynamoDB and S3 replaced by the in-process emulators (dynalite, s3rver), so the
 * commands run the real adapters against a featureStore table and an artifact bucket.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalCloudApi } from '../../../local/cloud-api';
import { runCli } from '../../../local/cli/main';
import { type RunningEmulators, awsClientConfig, startEmulators } from '../../../local/runtime/emulators';
import { vitalsDefinition } from '../features/feature-fixtures';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

const BUCKET = 'luminaops-artifacts-fake';
let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let tableCount = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  const config = awsClientConfig(emulators);
  dynamodb = new DynamoDBClient(config.dynamodb);
  s3 = new S3Client(config.s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  dynamodb.destroy();
  s3.destroy();
  await emulators.stop();
  removeTemporaryDirs();
});

/** A CLI whose cloud reads a fresh featureStore table in dynalite and the bucket in s3rver; `write` puts a file in its working directory. */
async function setup() {
  tableCount += 1;
  const tableName = `feature-store-${tableCount}`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
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
  const state = new FakeCloudState();
  const cwd = temporaryDir();
  const recording = recordingIo({ cwd, state });
  const tableNames: string[] = [];
  const startCloud = async (options: Parameters<typeof state.startCloud>[0]): Promise<LocalCloudApi> => {
    const cloud = await state.startCloud(options);
    return new Proxy(cloud, {
      get(target, property) {
        if (property === 'dynamodb') return dynamodb;
        if (property === 's3') return s3;
        if (property === 'tableName')
          return (table: string) => {
            tableNames.push(table);
            return tableName;
          };
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const io = { ...recording.io, startCloud };
  let printed = 0;
  let errors = 0;
  return {
    tableNames,
    write: (name: string, text: string) => fs.writeFileSync(path.join(cwd, name), text),
    run: async (argv: string[]) => {
      printed = recording.stdout().length;
      errors = recording.stderr().length;
      return runCli(argv, io);
    },
    stdout: () => recording.stdout().slice(printed),
    stderr: () => recording.stderr().slice(errors),
  };
}

const HEADER = 'patient_id,measured_at,heart_rate,smoker,ward';

describe('lumina features', () => {
  it('register creates v1, says so again for the same definition, and v2 for a changed one', async () => {
    const cli = await setup();
    cli.write('vitals.json', JSON.stringify(vitalsDefinition()));
    cli.write('vitals-v2.json', JSON.stringify(vitalsDefinition({ description: 'Vital signs, with SpO2', features: [...vitalsDefinition().features, { name: 'spo2', type: 'numeric' }] })));

    expect(await cli.run(['features', 'register', 'vitals.json'])).toBe(0);
    expect(cli.stdout()).toBe('Registered patient-vitals v1 (a new group): 5 columns, by dr.lee\n');
    expect(await cli.run(['features', 'register', 'vitals.json', '--author', 'dr.kim'])).toBe(0);
    expect(cli.stdout()).toBe('patient-vitals v1 already has this definition: nothing registered\n');
    expect(await cli.run(['features', 'register', 'vitals-v2.json', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({ created: true, previousVersion: 1, record: { name: 'patient-vitals', version: 2 } });
    expect(cli.tableNames).toEqual(['featureStore', 'featureStore', 'featureStore']);
  });

  it('register refuses an invalid definition naming each field, and a file that is not JSON', async () => {
    const cli = await setup();
    cli.write('bad.json', JSON.stringify(vitalsDefinition({ entityIdColumn: 'mrn' })));
    cli.write('broken.json', '{ "name": ');

    expect(await cli.run(['features', 'register', 'bad.json'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: invalid feature group definition: entityIdColumn: "mrn" is not among the features: declare it there with type string or categorical\n');
    expect(await cli.run(['features', 'register', 'broken.json'])).toBe(2);
    expect(cli.stderr()).toMatch(/^lumina: FILE 'broken\.json' is not JSON: .*\nRun 'lumina features register --help' for usage\.\n$/);
  });

  it('list shows each group with its latest version', async () => {
    const cli = await setup();
    expect(await cli.run(['features', 'list'])).toBe(0);
    expect(cli.stdout()).toBe("No feature groups yet. Register one with 'lumina features register FILE'.\n");
    cli.write('vitals.json', JSON.stringify(vitalsDefinition()));
    cli.write('labs.json', JSON.stringify(vitalsDefinition({ name: 'lab-results', description: 'Lab panels', author: 'lab-bot' })));
    await cli.run(['features', 'register', 'vitals.json']);
    await cli.run(['features', 'register', 'labs.json']);

    expect(await cli.run(['features', 'list'])).toBe(0);

    const lines = cli.stdout().split('\n');
    expect(lines[0]).toMatch(/^GROUP +VERSION +COLUMNS +AUTHOR +UPDATED +DESCRIPTION$/);
    expect(lines[1]).toMatch(/^lab-results +1 +5 +lab-bot +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +Lab panels$/);
    expect(lines[2]).toMatch(/^patient-vitals +1 +5 +dr\.lee +.+ +Vital signs taken at each visit$/);
  });

  it('ingest writes both stores; get reads the online values; describe shows the ingestion', async () => {
    const cli = await setup();
    cli.write('vitals.json', JSON.stringify(vitalsDefinition()));
    cli.write('vitals.csv', `${HEADER}\np-1,2026-01-01T08:00:00Z,70,false,cardio\np-1,2026-01-05T08:00:00Z,88,true,general\np-2,2026-01-02,,0,\n`);
    cli.write('late.csv', `${HEADER}\np-1,2026-01-03T08:00:00Z,61,false,cardio\n`);
    await cli.run(['features', 'register', 'vitals.json']);

    expect(await cli.run(['features', 'ingest', 'patient-vitals', 'vitals.csv'])).toBe(0);
    expect(cli.stdout()).toMatch(
      /^Ingested 3 rows \(2 entities\) into patient-vitals v1\n {2}offline: s3:\/\/luminaops-artifacts-fake\/features\/patient-vitals\/v1\/ingest=\d{8}T\d{6}\.\d{3}Z\/part-0000\.jsonl\n {2}online: {2}2 entities updated\n$/,
    );
    expect(await cli.run(['features', 'ingest', 'patient-vitals', 'late.csv'])).toBe(0);
    expect(cli.stdout()).toContain('  online:  0 entities updated, 1 kept (the stored value is newer)\n');

    expect(await cli.run(['features', 'get', 'patient-vitals', 'p-1,p-2,p-9'])).toBe(0);
    expect(cli.stdout()).toBe(
      [
        'patient-vitals v1: 2 of 3 found',
        'PATIENT_ID  EVENT TIME            HEART_RATE  SMOKER  WARD',
        'p-1         2026-01-05 08:00:00Z  88          true    general',
        'p-2         2026-01-02 00:00:00Z  -           false   -',
        'not found: p-9',
        '',
      ].join('\n'),
    );
    expect(await cli.run(['features', 'get', 'patient-vitals', 'p-2', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout())).toEqual({
      group: 'patient-vitals',
      version: 1,
      entities: { 'p-2': { eventTime: '2026-01-02T00:00:00.000Z', features: { heart_rate: null, smoker: false, ward: null } } },
      notFound: [],
    });

    expect(await cli.run(['features', 'describe', 'patient-vitals'])).toBe(0);
    const described = cli.stdout();
    expect(described).toMatch(/^patient-vitals v1 \(latest\): Vital signs taken at each visit\n/);
    expect(described).toMatch(/\n {2}ward +categorical +no +ward of the visit \[cardio, oncology, general\]\n/);
    expect(described).toMatch(/ +complete +3 +2 +2026-01-01 08:00:00Z \.\. 2026-01-05 08:00:00Z +2 written, 0 kept newer +vitals\.csv\n/);
    expect(described).toMatch(/ +complete +1 +1 .+ +0 written, 1 kept newer +late\.csv\n/);
  });

  it('ingest refuses a bad file naming the rows and columns, and writes nothing', async () => {
    const cli = await setup();
    cli.write('vitals.json', JSON.stringify(vitalsDefinition()));
    cli.write('bad.csv', `${HEADER}\np-1,2026-01-01,fast,false,cardio\np-2,2026-01-01,70,false,icu\n`);
    await cli.run(['features', 'register', 'vitals.json']);

    expect(await cli.run(['features', 'ingest', 'patient-vitals', 'bad.csv'])).toBe(1);
    expect(cli.stderr()).toContain(
      'lumina: 2 problems in the data for feature group patient-vitals v1, nothing was written: row 2, column heart_rate: expected a number (got "fast"); row 3, column ward: "icu" is not one of the categories (cardio, oncology, general)\n',
    );
    expect(await cli.run(['features', 'describe', 'patient-vitals', '--json'])).toBe(0);
    expect(JSON.parse(cli.stdout()).ingestions).toEqual([]);
  });

  it('describe --version shows an older version as registered; unknown groups and versions are named', async () => {
    const cli = await setup();
    cli.write('vitals.json', JSON.stringify(vitalsDefinition()));
    cli.write('vitals-v2.json', JSON.stringify(vitalsDefinition({ description: 'changed' })));
    await cli.run(['features', 'register', 'vitals.json']);
    await cli.run(['features', 'register', 'vitals-v2.json']);

    expect(await cli.run(['features', 'describe', 'patient-vitals', '--version', '1', '--json'])).toBe(0);
    const described = JSON.parse(cli.stdout());
    expect(described.record).toEqual({ ...JSON.parse(JSON.stringify(vitalsDefinition())), version: 1, createdAt: described.record.createdAt, fingerprint: described.record.fingerprint });
    expect(described.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);

    expect(await cli.run(['features', 'describe', 'vitals'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: no feature group named vitals (groups: patient-vitals)\n');
    expect(await cli.run(['features', 'get', 'patient-vitals', 'p-1', '--version', '3', '--json'])).toBe(1);
    expect(cli.stderr()).toContain('lumina: feature group patient-vitals has no version 3 (versions are 1..2)\n');
    expect(await cli.run(['features', 'describe', 'patient-vitals', '--version', 'two'])).toBe(2);
    expect(cli.stderr()).toContain("lumina: --version must be a positive whole number (got 'two')\n");
  });

  it('--help shows the command; a missing file is a usage error before the cloud starts', async () => {
    const cli = await setup();

    expect(await cli.run(['features', 'ingest', '--help'])).toBe(0);
    expect(cli.stdout()).toContain('Usage: lumina features ingest GROUP FILE [--version N] [flags]\n');
    expect(await cli.run(['features', '--help'])).toBe(0);
    expect(cli.stdout()).toContain('features register');
    expect(await cli.run(['features', 'ingest', 'patient-vitals', 'nope.csv'])).toBe(2);
    expect(cli.stderr()).toMatch(/^lumina: FILE 'nope\.csv' \(.*nope\.csv\) does not exist\n/);
  });
});
