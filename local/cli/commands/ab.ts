/**
 * `lumina ab NAME`: the champion/challenger test of a project's online endpoint. The
 * configuration is the registry item the endpoint reads (lambdas/core/serving/ab-testing.ts:
 * `AB_TEST`, re-read within a second, so a change applies to the next requests); every change
 * is written to the audit trail (`ab.changed`). `--status` counts what each variant served
 * from the prediction log and, once outcomes are uploaded, runs the two-proportion z-test
 * (lambdas/core/serving/ab-significance.ts) for a promote / keep recommendation.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { queryAuditTrail } from '../../../lambdas/core/governance/audit-trail';
import type { Caller } from '../../../lambdas/core/governance/personas';
import { changeAbTest } from '../../../lambdas/core/governance/registry-operations';
import { joinOutcomes } from '../../../lambdas/core/performance/ground-truth';
import { labelsKeys } from '../../../lambdas/core/performance/ingest-labels';
import { readStagePointers } from '../../../lambdas/core/registry/stage-pointers';
import { type AbConfig, effectiveAbTest, readAbConfig } from '../../../lambdas/core/serving/ab-testing';
import { type AbTestReport, evaluateAbTest } from '../../../lambdas/core/serving/ab-significance';
import { predictionLogPrefix } from '../../../lambdas/core/serving/prediction-log';
import type { LocalCloudApi } from '../../cloud-api';
import { acceptedOutcomes, loggedAtMs, parsePredictionLog, type TestTraffic, testStart, variantTraffic } from '../ab-report';
import { type ParsedCommand, UsageError } from '../args';
import { localAuditStore } from '../audit-store';
import { withLocalCloud } from '../cloud-session';
import { type CliContext, type CommandSpec, EXIT_CODES } from '../command';
import { formatTable, formatTimestamp, toJson } from '../output';
import { checkProjectName } from '../project-settings';
import { localRegistryStore } from '../registry-store';
import { positiveInteger } from './models';
import { asFlag, localCaller, localGovernedRegistry } from './promote';

const COMMAND = 'ab';
/** Objects read from S3 at once. */
const READ_CONCURRENCY = 16;

type AbRequest = { readonly mode: 'set'; readonly challenger: number; readonly split: number } | { readonly mode: 'status' } | { readonly mode: 'stop' };

export const abCommand: CommandSpec = {
  name: COMMAND,
  summary: "Start, change, stop or check the champion/challenger (A/B) test of a project's endpoint",
  synopsis: 'ab NAME (--challenger V --split S | --status | --stop) [flags]',
  description: [
    "--challenger V --split S sends the share S (above 0 and below 1: 0.1 is 10%) of the endpoint's traffic to version V; the rest goes to the production version, the champion. The challenger must be a registered version other than production. Assignment is sticky per entity id (the request id when a record has none), and the endpoint applies a change within a second (it re-reads the configuration at most once a second). Setting it again with another split keeps the test going; --stop sends all traffic back to the champion. A promotion or rollback of production makes the test stale: the endpoint then serves production only until it is set again. Locally you act as local:<your user name> with the persona given by --as; in AWS the same change is POST /ab/{project} on the registry API. Every change goes to the audit trail (action ab.changed).",
    `--status shows the test and, per variant, the requests and predictions the endpoint logged since the test began, with the share of traffic, the positive rate and the mean probability. Once ground truth is there (outcomes by request id or entity id, uploaded with 'lumina labels put NAME FILE'), the outcomes are joined to the predictions and each variant's accuracy is compared with a two-sided two-proportion z-test (alpha 0.05, at least 100 outcomes per variant), ending in a recommendation: promote the challenger, keep the champion, or not enough data yet.`,
    '--json prints { change, previous, audit } for a change and, for --status, { project, production, config, active, since, traffic, groundTruth, significance }.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [
    { name: 'challenger', type: 'string', value: 'V', description: 'the version to test against production (see lumina models NAME)' },
    { name: 'split', type: 'string', value: 'S', description: "the challenger's share of traffic, above 0 and below 1 (0.1 is 10%)" },
    { name: 'status', type: 'boolean', description: 'show the test, traffic per variant and, with ground truth, the significance test' },
    { name: 'stop', type: 'boolean', description: 'end the test: all traffic to the champion' },
    asFlag('ml-engineer (ML engineers and model approvers may change a test)'),
  ],
  examples: ['lumina ab adherence --challenger 4 --split 0.1', 'lumina ab adherence --status', 'lumina ab adherence --status --json', 'lumina ab adherence --stop'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, COMMAND);
    const request = abRequestFrom(args);
    const caller = localCaller(args, context, 'ml-engineer', COMMAND);
    return withLocalCloud(context, { command: COMMAND, interruptible: true }, async ({ cloud }) => {
      cloud.project(name);
      if (request.mode === 'status') return showStatus(context, cloud, name);
      return changeTest(context, cloud, caller, name, request.mode === 'set' ? request.challenger : null, request.mode === 'set' ? request.split : 0);
    });
  },
};

/** Which of the three things the line asks for, with its values checked. */
export function abRequestFrom(args: ParsedCommand): AbRequest {
  const challengerText = args.string('challenger');
  const splitText = args.string('split');
  const status = args.boolean('status');
  const stop = args.boolean('stop');
  const fail = (message: string): never => {
    throw new UsageError(message, COMMAND);
  };
  if (status && stop) fail('--status and --stop cannot be used together: --status only reads the test');
  if (status && (challengerText !== undefined || splitText !== undefined)) fail('--status only reads the test: it cannot be combined with --challenger or --split');
  if (stop && (challengerText !== undefined || splitText !== undefined)) fail('--stop ends the test: it cannot be combined with --challenger or --split');
  if (status) return { mode: 'status' };
  if (stop) return { mode: 'stop' };
  if (challengerText === undefined && splitText === undefined) fail('choose what to do: --challenger V --split S to start or change a test, --status to see it, --stop to end it');
  if (challengerText === undefined) return fail('--split needs --challenger V: the version to test against production');
  const challenger = positiveInteger(challengerText, '--challenger', COMMAND);
  if (splitText === undefined) return fail("missing --split S: the challenger's share of traffic, above 0 and below 1 (e.g. --split 0.1)");
  return { mode: 'set', challenger, split: splitFrom(splitText) };
}

function splitFrom(text: string): number {
  const value = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value < 1)) {
    const percent = /^\s*\d+(\.\d+)?\s*%\s*$/.test(text) ? ` (write a percentage as a fraction: ${Number(text.trim().replace('%', '')) / 100})` : '';
    throw new UsageError(`--split must be a number above 0 and below 1, e.g. 0.1 for 10% of traffic (got '${text}')${percent}`, COMMAND);
  }
  return value;
}

async function changeTest(context: CliContext, cloud: LocalCloudApi, caller: Caller, project: string, challenger: number | null, split: number): Promise<number> {
  // The governed operation the registry API's POST /ab/{project} runs: persona check, change, audit entry.
  const outcome = await changeAbTest(project, caller, { challenger, split }, localGovernedRegistry(cloud));
  const { change, previous } = outcome;
  if (change === null) {
    if (context.json) context.print(toJson({ change: null, previous, audit: [] }));
    else context.print(`No A/B test is running for ${project}; nothing changed.\n`);
    return EXIT_CODES.ok;
  }
  const audit = outcome.audit[0];
  if (context.json) {
    context.print(toJson({ change, previous, audit: outcome.audit }));
    return EXIT_CODES.ok;
  }
  const lines =
    change.challenger === null
      ? [`${project} A/B test stopped: all traffic to the champion, version ${change.champion} (revision ${change.revision})`]
      : [
          `${project} A/B test: champion version ${change.champion} (production) vs challenger version ${change.challenger} at ${percent(change.split)} of traffic (revision ${change.revision})`,
          ...(previous && previous.challenger !== null ? [`  was: challenger version ${previous.challenger} at ${percent(previous.split)} against version ${previous.champion}`] : []),
          `  the endpoint applies it within a second (it caches the configuration for 1 s); see the traffic with 'lumina ab ${project} --status'`,
        ];
  lines.push(`Audit: ${audit.action} (${audit.id})`);
  context.print(`${lines.join('\n')}\n`);
  return EXIT_CODES.ok;
}

export interface GroundTruthSummary {
  /** s3://bucket/prefix of the accepted labels uploads the outcomes are read from. */
  readonly location: string;
  /** Accepted labels uploads (lumina labels put). */
  readonly uploads: number;
  readonly outcomes: number;
  /** Outcomes joined to a prediction of the test. */
  readonly joined: number;
  readonly unmatched: number;
  /** Accepted-upload files that could not be read, with why (skipped). */
  readonly problems: readonly string[];
}

export interface AbStatus {
  readonly project: string;
  readonly production: number | null;
  readonly config: AbConfig | null;
  /** Whether the endpoint serves the challenger now. */
  readonly active: boolean;
  readonly inactiveReason?: string;
  /** When the test began (its first ab.changed entry): predictions before it do not count. */
  readonly since: string | null;
  readonly traffic: (TestTraffic & { readonly malformedLines: number }) | null;
  readonly groundTruth: GroundTruthSummary | null;
  readonly significance: AbTestReport | null;
}

async function showStatus(context: CliContext, cloud: LocalCloudApi, project: string): Promise<number> {
  const status = await readAbStatus(cloud, project);
  context.print(context.json ? toJson(status) : formatAbStatus(status));
  return EXIT_CODES.ok;
}

export async function readAbStatus(cloud: LocalCloudApi, project: string): Promise<AbStatus> {
  const store = localRegistryStore(cloud);
  const production = (await readStagePointers(store, project)).production;
  const config = (await readAbConfig(store, project)) ?? null;
  const base = { project, production, config, active: false, since: null, traffic: null, groundTruth: null, significance: null };
  if (config === null || config.challenger === null) return base;
  const effective = effectiveAbTest(production ?? config.champion, config);
  const inactiveReason = production === null ? 'the project has no production version' : effective.inactiveReason;
  const changes = await queryAuditTrail({ project, actions: ['ab.changed'] }, localAuditStore(cloud));
  const since = testStart(config, changes) ?? null;

  const logKeys = (await listKeys(cloud, predictionLogPrefix(project))).filter((key) => {
    const at = loggedAtMs(key);
    return since === null || at === undefined || at >= Date.parse(since);
  });
  const log = parsePredictionLog(await readTexts(cloud, logKeys));
  const predictions = since === null ? log.predictions : log.predictions.filter((p) => p.at >= since);
  const traffic = variantTraffic(predictions, config.champion, config.challenger);

  const acceptedPrefix = labelsKeys.acceptedPrefix(project);
  const acceptedKeys = (await listKeys(cloud, acceptedPrefix)).filter((key) => key.endsWith('.json'));
  const texts = await readTexts(cloud, acceptedKeys);
  const { outcomes, uploads, problems } = acceptedOutcomes(acceptedKeys.map((key, i) => ({ key, text: texts[i] })));
  const { joined, unmatched } = joinOutcomes(predictions, outcomes);
  const groundTruth: GroundTruthSummary = { location: `s3://${cloud.artifactBucket}/${acceptedPrefix}`, uploads, outcomes: outcomes.length, joined: joined.length, unmatched: unmatched.length, problems };
  const significance =
    joined.length === 0
      ? null
      : evaluateAbTest(joined, {
          champion: config.champion,
          challenger: config.challenger,
          thresholds: { champion: traffic.champion.threshold, challenger: traffic.challenger.threshold },
        });
  return {
    ...base,
    active: inactiveReason === undefined && effective.challenger !== undefined,
    ...(inactiveReason === undefined ? {} : { inactiveReason }),
    since,
    traffic: { ...traffic, malformedLines: log.malformed },
    groundTruth,
    significance,
  };
}

export function formatAbStatus(status: AbStatus): string {
  const { project, config } = status;
  const production = status.production === null ? 'none' : `version ${status.production}`;
  if (config === null) return `No A/B test for ${project} (production: ${production}). Start one with 'lumina ab ${project} --challenger V --split 0.1'.\n`;
  if (config.challenger === null) {
    return `No A/B test is running for ${project} (production: ${production}); the last one was stopped${config.updatedAt ? ` at ${formatTimestamp(config.updatedAt)}` : ''}${config.updatedBy ? ` by ${config.updatedBy}` : ''}. Start one with 'lumina ab ${project} --challenger V --split 0.1'.\n`;
  }
  const out: string[] = [];
  out.push(`A/B test of ${project}: champion version ${config.champion} vs challenger version ${config.challenger}, ${percent(config.split)} of traffic to the challenger (revision ${config.revision})`);
  const setBy = config.updatedBy ? ` by ${config.updatedBy}` : '';
  out.push(`  last set${setBy}${config.updatedAt ? ` at ${formatTimestamp(config.updatedAt)}` : ''}; counting predictions since ${status.since ? formatTimestamp(status.since) : 'the log began'}`);
  out.push(status.active ? '  active: the endpoint serves the challenger' : `  INACTIVE: ${status.inactiveReason ?? 'the endpoint serves the champion only'}`);

  const traffic = status.traffic;
  if (traffic) {
    out.push('');
    const variants = [traffic.champion, traffic.challenger];
    out.push(
      formatTable(
        ['VARIANT', 'VERSION', 'REQUESTS', 'PREDICTIONS', 'SHARE', 'POSITIVE', 'MEAN P'],
        variants.map((v) => [
          v.variant,
          String(v.modelVersion),
          String(v.requests),
          String(v.predictions),
          v.share === null ? '-' : percent(v.share),
          v.predictions === 0 ? '-' : percent(v.positives / v.predictions),
          v.meanProbability === null ? '-' : v.meanProbability.toFixed(4),
        ]),
      ).trimEnd(),
    );
    if (traffic.other > 0) out.push(`  ${traffic.other} prediction${traffic.other === 1 ? '' : 's'} in the window served outside the test (stale test or challenger unavailable) are left out`);
    if (traffic.malformedLines > 0) out.push(`  ${traffic.malformedLines} prediction log line${traffic.malformedLines === 1 ? ' is' : 's are'} not predictions and were skipped`);
  }

  out.push('');
  const truth = status.groundTruth;
  for (const problem of truth?.problems ?? []) out.push(`Labels upload skipped: ${problem}`);
  const significance = status.significance;
  if (!truth || truth.outcomes === 0 || significance === null) {
    out.push(
      truth && truth.outcomes > 0
        ? `No ground truth for this test yet: none of the ${truth.outcomes} outcomes uploaded so far matches a prediction of the test, so there is no significance test.`
        : `No ground truth yet, so there is no significance test. Upload outcomes (request_id or entity id, outcome) with 'lumina labels put ${project} FILE'.`,
    );
    return `${out.join('\n')}\n`;
  }
  out.push(`Ground truth: ${truth.joined} outcomes joined to the test's predictions (${truth.unmatched} not) from ${truth.uploads} labels upload${truth.uploads === 1 ? '' : 's'} (${truth.location})`);
  out.push(
    formatTable(
      ['VARIANT', 'VERSION', 'OUTCOMES', 'CORRECT', 'ACCURACY', '95% INTERVAL'],
      [significance.champion, significance.challenger].map((v) => [
        v.variant,
        String(v.modelVersion),
        String(v.n),
        String(v.correct),
        v.accuracy === null ? '-' : percent(v.accuracy),
        v.accuracyInterval95 === null ? '-' : `${percent(v.accuracyInterval95.low)} - ${percent(v.accuracyInterval95.high)}`,
      ]),
    ).trimEnd(),
  );
  if (significance.test) {
    const t = significance.test;
    out.push(`Two-proportion z-test on accuracy: difference ${signedPoints(t.difference)}, z = ${t.z.toFixed(2)}, p = ${t.pValue.toPrecision(3)} (alpha ${significance.alpha})`);
  }
  out.push(recommendationLine(project, config.challenger, significance));
  return `${out.join('\n')}\n`;
}

function recommendationLine(project: string, challenger: number, report: AbTestReport): string {
  switch (report.recommendation) {
    case 'promote':
      return `Recommendation: PROMOTE version ${challenger}: ${report.reason}\n  lumina promote ${project} ${challenger} --stage production`;
    case 'keep-champion':
      return `Recommendation: DO NOT PROMOTE, keep the champion: ${report.reason}`;
    default:
      return `Recommendation: none yet, not enough data: ${report.reason}`;
  }
}

/** 10%, 12.5%, 58% (not 58.0%: the value is rounded to a tenth first). */
function percent(share: number): string {
  const tenths = Math.round(share * 1000) / 10;
  return `${Number.isInteger(tenths) ? tenths.toFixed(0) : tenths.toFixed(1)}%`;
}

function signedPoints(difference: number): string {
  const points = difference * 100;
  return `${points >= 0 ? '+' : ''}${points.toFixed(1)} points`;
}

async function listKeys(cloud: LocalCloudApi, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await cloud.s3.send(new ListObjectsV2Command({ Bucket: cloud.artifactBucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function readTexts(cloud: LocalCloudApi, keys: readonly string[]): Promise<string[]> {
  const texts: string[] = new Array<string>(keys.length);
  for (let start = 0; start < keys.length; start += READ_CONCURRENCY) {
    await Promise.all(
      keys.slice(start, start + READ_CONCURRENCY).map(async (key, i) => {
        const object = await cloud.s3.send(new GetObjectCommand({ Bucket: cloud.artifactBucket, Key: key }));
        texts[start + i] = object.Body ? await object.Body.transformToString('utf-8') : '';
      }),
    );
  }
  return texts;
}
