/**
 * `lumina features register | list | describe | ingest | get`: the feature store of the
 * local cloud (definitions and online values in the platform's featureStore table, the
 * offline store in the artifact bucket), through the same core functions and adapters the
 * Lambda functions use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FeatureGroupRecord } from '../../../lambdas/core/features/definition';
import { getFeatureGroup, listFeatureGroupVersions, listFeatureGroups, registerFeatureGroup } from '../../../lambdas/core/features/feature-groups';
import { type IngestionRecord, ingestFeatures, listIngestions } from '../../../lambdas/core/features/ingestion';
import { getOnlineFeatures } from '../../../lambdas/core/features/online';
import type { FeatureStoreDependencies } from '../../../lambdas/core/features/store-dependencies';
import { featureStoreOverAws } from '../../../lambdas/shared/feature-store-clients';
import type { LocalCloudApi } from '../../cloud-api';
import { type ParsedCommand, UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { formatFields, formatTable, formatTimestamp, toJson, truncate } from '../output';
import { positiveInteger } from './models';

function localFeatureStore(cloud: LocalCloudApi): FeatureStoreDependencies {
  return featureStoreOverAws({ dynamodb: cloud.dynamodb, s3: cloud.s3 }, { tableName: cloud.tableName('featureStore'), bucket: cloud.artifactBucket });
}

const VERSION_FLAG = { name: 'version', type: 'string', value: 'N', description: 'a version of the group instead of the latest' } as const;

export const featuresRegisterCommand: CommandSpec = {
  name: 'features register',
  summary: 'Register a feature group definition (a changed definition becomes a new version)',
  synopsis: 'features register FILE [--author NAME] [flags]',
  description: [
    'Reads a feature group definition from FILE (JSON): name, description, entityIdColumn, eventTimeColumn, features ([{ name, type: numeric|categorical|boolean|string, description, required?, categories? }], the entity id and event time columns included) and author. A definition that differs from the latest version becomes the next version; earlier versions are kept. The same definition again creates nothing and says which version it is.',
    '--json prints { created, previousVersion, record }.',
  ],
  positionals: [{ name: 'FILE', description: 'the definition, a JSON file' }],
  flags: [{ name: 'author', type: 'string', value: 'NAME', description: "who registers it (replaces the file's author)" }],
  examples: ['lumina features register patient-vitals.json', 'lumina features register patient-vitals.json --author dr.lee --json'],
  run: async (args, context) => {
    const command = 'features register';
    const text = new TextDecoder().decode(readInputFile(args.positionals.FILE, context.io.cwd, command));
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`FILE '${args.positionals.FILE}' is not JSON: ${(error as Error).message}`, command);
    }
    const author = args.string('author');
    if (author !== undefined) {
      if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) throw new UsageError(`FILE '${args.positionals.FILE}' must hold a JSON object`, command);
      definition = { ...definition, author };
    }
    return withLocalCloud(context, { command, interruptible: true }, async ({ cloud }) => {
      const store = localFeatureStore(cloud);
      const result = await registerFeatureGroup(store.table, definition, store);
      if (context.json) context.print(toJson(result));
      else if (result.created) {
        const was = result.previousVersion === undefined ? 'a new group' : `was v${result.previousVersion}`;
        context.print(`Registered ${result.record.name} v${result.record.version} (${was}): ${result.record.features.length} columns, by ${result.record.author}\n`);
      } else context.print(`${result.record.name} v${result.record.version} already has this definition: nothing registered\n`);
      return EXIT_CODES.ok;
    });
  },
};

export const featuresListCommand: CommandSpec = {
  name: 'features list',
  summary: 'List the feature groups with their latest version',
  synopsis: 'features list [flags]',
  description: ['Lists every registered feature group: name, latest version, number of columns, author, when the latest version was registered and its description. --json prints an array of { name, latestVersion, description, features, author, updatedAt }.'],
  positionals: [],
  flags: [],
  examples: ['lumina features list', 'lumina features list --json'],
  run: async (_args, context) =>
    withLocalCloud(context, { command: 'features list', interruptible: true }, async ({ cloud }) => {
      const groups = await listFeatureGroups(localFeatureStore(cloud).table);
      if (context.json) context.print(toJson(groups));
      else if (groups.length === 0) context.print("No feature groups yet. Register one with 'lumina features register FILE'.\n");
      else
        context.print(
          formatTable(
            ['GROUP', 'VERSION', 'COLUMNS', 'AUTHOR', 'UPDATED', 'DESCRIPTION'],
            groups.map((g) => [g.name, String(g.latestVersion), String(g.features), g.author, formatTimestamp(g.updatedAt), truncate(g.description, 60)]),
          ),
        );
      return EXIT_CODES.ok;
    }),
};

export const featuresDescribeCommand: CommandSpec = {
  name: 'features describe',
  summary: "Show a feature group's definition, versions and ingestions",
  synopsis: 'features describe GROUP [--version N] [flags]',
  description: [
    'Shows a version of the group (the latest unless --version is given) exactly as registered: its columns with types and descriptions, the entity id and event time columns, author and time; then all versions and the ingestions into this version (rows, entities, event time range, online values written and kept because newer).',
    '--json prints { record, versions: [{ version, createdAt, author }], ingestions }.',
  ],
  positionals: [{ name: 'GROUP', description: 'the feature group' }],
  flags: [VERSION_FLAG],
  examples: ['lumina features describe patient-vitals', 'lumina features describe patient-vitals --version 1 --json'],
  run: async (args, context) => {
    const version = versionFlag(args, 'features describe');
    return withLocalCloud(context, { command: 'features describe', interruptible: true }, async ({ cloud }) => {
      const { table } = localFeatureStore(cloud);
      const record = await getFeatureGroup(table, args.positionals.GROUP, version);
      const versions = (await listFeatureGroupVersions(table, record.name)).map((r) => ({ version: r.version, createdAt: r.createdAt, author: r.author }));
      const ingestions = await listIngestions(table, record.name, record.version);
      context.print(context.json ? toJson({ record, versions, ingestions }) : formatDescription(record, versions, ingestions));
      return EXIT_CODES.ok;
    });
  },
};

export function formatDescription(record: FeatureGroupRecord, versions: readonly { version: number; createdAt: string; author: string }[], ingestions: readonly IngestionRecord[]): string {
  const latest = Math.max(...versions.map((v) => v.version));
  const out = [`${record.name} v${record.version}${record.version === latest ? ' (latest)' : ` (latest is v${latest})`}: ${record.description}\n`];
  out.push(
    formatFields([
      ['entity id', record.entityIdColumn],
      ['event time', record.eventTimeColumn],
      ['registered', `${formatTimestamp(record.createdAt)} by ${record.author}`],
      ['fingerprint', record.fingerprint.slice(0, 16)],
    ]),
  );
  out.push('\nColumns\n');
  out.push(
    formatTable(
      ['NAME', 'TYPE', 'REQUIRED', 'DESCRIPTION'],
      record.features.map((f) => {
        const key = f.name === record.entityIdColumn || f.name === record.eventTimeColumn;
        const categories = f.categories ? ` [${f.categories.join(', ')}]` : '';
        return [f.name, f.type, key || f.required ? 'yes' : 'no', truncate(`${f.description}${categories}`, 70)];
      }),
    ).replace(/^(?=.)/gm, '  '),
  );
  out.push(`\nVersions: ${versions.map((v) => `v${v.version} (${formatTimestamp(v.createdAt)}, ${v.author})`).join(', ')}\n`);
  out.push(`\nIngestions into v${record.version}\n`);
  out.push(
    ingestions.length === 0
      ? '  none\n'
      : formatTable(
          ['INGESTION', 'STATUS', 'ROWS', 'ENTITIES', 'EVENT TIMES', 'ONLINE', 'SOURCE'],
          ingestions.map((i) => [
            i.ingestionId,
            i.status,
            String(i.rows),
            String(i.entities),
            `${formatTimestamp(i.minEventTime)} .. ${formatTimestamp(i.maxEventTime)}`,
            i.online ? `${i.online.written} written, ${i.online.keptNewer} kept newer` : '-',
            truncate(i.source, 40),
          ]),
        ).replace(/^(?=.)/gm, '  '),
  );
  return out.join('');
}

export const featuresIngestCommand: CommandSpec = {
  name: 'features ingest',
  summary: 'Ingest a CSV into a feature group (offline store in S3, latest values online)',
  synopsis: 'features ingest GROUP FILE [--version N] [flags]',
  description: [
    "Checks every row of FILE (CSV, header first, the group's columns) against the version's definition and writes nothing when any row is wrong: the errors name the line and the column. Then writes the rows to the offline store (s3://<artifact bucket>/features/<group>/v<version>/ingest=<time>/part-0000.jsonl) and each entity's newest row to the online store, unless the online store already holds a newer one (a late-arriving older row).",
    '--json prints the ingestion record.',
  ],
  positionals: [
    { name: 'GROUP', description: 'the feature group' },
    { name: 'FILE', description: 'the CSV file' },
  ],
  flags: [VERSION_FLAG],
  examples: ['lumina features ingest patient-vitals vitals-2026-03.csv', 'lumina features ingest patient-vitals vitals.csv --version 2 --json'],
  run: async (args, context) => {
    const command = 'features ingest';
    const version = versionFlag(args, command);
    const csv = readInputFile(args.positionals.FILE, context.io.cwd, command);
    return withLocalCloud(context, { command, interruptible: true }, async ({ cloud }) => {
      const store = localFeatureStore(cloud);
      const ingestion = await ingestFeatures(store, { group: args.positionals.GROUP, version, source: { csv }, sourceName: path.basename(args.positionals.FILE) });
      if (context.json) context.print(toJson(ingestion));
      else {
        const online = ingestion.online!;
        context.print(
          [
            `Ingested ${ingestion.rows} rows (${ingestion.entities} entities) into ${ingestion.group} v${ingestion.version}`,
            ...ingestion.parts.map((key) => `  offline: s3://${store.bucket}/${key}`),
            `  online:  ${online.written} entities updated${online.keptNewer > 0 ? `, ${online.keptNewer} kept (the stored value is newer)` : ''}`,
            '',
          ].join('\n'),
        );
      }
      return EXIT_CODES.ok;
    });
  },
};

export const featuresGetCommand: CommandSpec = {
  name: 'features get',
  summary: "Read entities' latest feature values from the online store",
  synopsis: 'features get GROUP ID[,ID...] [--version N] [flags]',
  description: [
    'Reads the online values of one or more entities (comma-separated ids) of a group version, the latest unless --version is given, as the endpoint does (BatchGetItem, 100 keys a request). Ids without online values are listed as not found.',
    '--json prints { group, version, entities: { ID: { eventTime, features } }, notFound }.',
  ],
  positionals: [
    { name: 'GROUP', description: 'the feature group' },
    { name: 'IDS', description: 'entity ids, separated by commas' },
  ],
  flags: [VERSION_FLAG],
  examples: ['lumina features get patient-vitals p-1', 'lumina features get patient-vitals p-1,p-2,p-3 --json'],
  run: async (args, context) => {
    const command = 'features get';
    const version = versionFlag(args, command);
    const ids = args.positionals.IDS.split(',').map((id) => id.trim());
    if (ids.some((id) => id === '')) throw new UsageError(`IDS has an empty id (got '${args.positionals.IDS}')`, command);
    return withLocalCloud(context, { command, interruptible: true }, async ({ cloud }) => {
      const { table } = localFeatureStore(cloud);
      // Resolves the version and refuses an unknown group or version (a pinned lookup alone would report every id as not found).
      const record = await getFeatureGroup(table, args.positionals.GROUP, version);
      const result = await getOnlineFeatures(table, { group: record.name, version: record.version, entityIds: ids });
      if (context.json) {
        context.print(toJson(result));
        return EXIT_CODES.ok;
      }
      const names = record.features.filter((f) => f.name !== record.entityIdColumn && f.name !== record.eventTimeColumn).map((f) => f.name);
      const rows = Object.entries(result.entities).map(([id, value]) => [id, formatTimestamp(value.eventTime), ...names.map((n) => cellText(value.features[n]))]);
      const out = [`${result.group} v${result.version}: ${rows.length} of ${ids.length} found\n`];
      if (rows.length > 0) out.push(formatTable([record.entityIdColumn.toUpperCase(), 'EVENT TIME', ...names.map((n) => n.toUpperCase())], rows));
      if (result.notFound.length > 0) out.push(`not found: ${result.notFound.join(', ')}\n`);
      context.print(out.join(''));
      return EXIT_CODES.ok;
    });
  },
};

export const FEATURE_COMMANDS: readonly CommandSpec[] = [featuresRegisterCommand, featuresListCommand, featuresDescribeCommand, featuresIngestCommand, featuresGetCommand];

function cellText(value: unknown): string {
  return value === null || value === undefined ? '-' : String(value);
}

function versionFlag(args: ParsedCommand, command: string): number | undefined {
  const text = args.string('version');
  return text === undefined ? undefined : positiveInteger(text, '--version', command);
}

/** Checks a FILE argument before the local cloud starts; errors name the path as given and in full. */
function readInputFile(given: string, cwd: string, command: string): Uint8Array {
  const file = path.resolve(cwd, given);
  const where = given === file ? `'${file}'` : `'${given}' (${file})`;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`FILE ${where} does not exist`, command);
  if (!stat.isFile()) throw new UsageError(`FILE ${where} ${stat.isDirectory() ? 'is a directory, not a file' : 'is not a regular file'}`, command);
  if (stat.size === 0) throw new UsageError(`FILE ${where} is empty`, command);
  return fs.readFileSync(file);
}
