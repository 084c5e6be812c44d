/**
 * `lumina predict NAME --json '{...}'`: one request to the project's online endpoint, the
 * IAM-authorised function URL its template created, as the data-scientist persona. The body
 * is checked here first (JSON, an object), so a typo costs no cloud start; the endpoint then
 * validates it against the model's input contract and answers 400 with every bad field.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import type { LocalCloudApi, ProjectInfo } from '../../cloud-api';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { describeJsonError, parseJsonText } from '../json-input';
import { formatDuration, formatTable, toJson } from '../output';
import { checkProjectName } from '../project-settings';

const COMMAND = 'predict';
const SHAPES = 'a record of the model\'s columns, {"records": [...]}, or {"entityId": "..."}';

const RiskFactor = z.object({
  column: z.string(),
  value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  contribution: z.number(),
  direction: z.enum(['increases', 'decreases']),
});

/** The endpoint's 200 answer (lambdas/core/serving/endpoint.ts PredictionResponseItem). */
export const PredictionAnswer = z.object({
  requestId: z.string(),
  latencyMs: z.number(),
  predictions: z.array(
    z.object({
      requestId: z.string(),
      entityId: z.string().optional(),
      probability: z.number(),
      label: z.union([z.literal(0), z.literal(1)]),
      confidence: z.number(),
      riskFactors: z.array(RiskFactor),
      modelVersion: z.number().int(),
      variant: z.enum(['champion', 'challenger']),
      latencyMs: z.number(),
    }),
  ),
});
export type PredictionAnswer = z.output<typeof PredictionAnswer>;

/** Every non-200 answer of the endpoint: the fields and why. */
const ErrorAnswer = z.object({ requestId: z.string().optional(), errors: z.array(z.object({ path: z.string(), message: z.string() })).min(1) });

export const predictCommand: CommandSpec = {
  name: COMMAND,
  summary: "Score records with a project's online endpoint (the production model, or the A/B challenger)",
  synopsis: "predict NAME (--json '{...}' | --file FILE) [flags]",
  description: [
    `POSTs the request body to the project's online endpoint: the IAM-authorised Lambda function URL its template created, called as the data-scientist persona role. The body is ${SHAPES}. It must be valid JSON (a mistake is reported with its line and column before anything starts); the endpoint checks it against the model's input contract and refuses it with every bad field and why.`,
    'Prints, per record: the probability, the label with its confidence, the model version and A/B variant that served it, the latency and the top risk factors (TreeSHAP contributions to the log-odds, in your column names).',
    "Here --json takes the request body, as in lumina predict NAME --json '{...}'; --raw prints the endpoint's JSON answer as it came, whatever its status (the status goes to stderr when it is not 200). The exit code is 1 when the endpoint refuses the request or cannot serve it.",
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [
    { name: 'json', type: 'string', value: 'BODY', description: `the request body as JSON text: ${SHAPES}` },
    { name: 'file', type: 'string', value: 'FILE', description: 'read the request body from this JSON file instead' },
    { name: 'raw', type: 'boolean', description: "print the endpoint's JSON answer unchanged" },
  ],
  examples: [
    `lumina predict adherence --json '{"patient_id": "P0000042", "age": 61, "sex": "F", "bmi": 31.2, "hba1c": 8.4, "egfr": 72, "hypertension": true, "ckd": false, "depression": false, "prior_gaps": 1, "prior_pdc": 0.85, "brand": "Glucora", "copay": 25}'`,
    'lumina predict adherence --file records.json',
    "lumina predict adherence --json '{\"entityId\": \"P0000042\"}' --raw",
  ],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, COMMAND);
    const body = requestBody(args.string('json'), args.string('file'), context.io.cwd);
    const raw = args.boolean('raw');
    return withLocalCloud(context, { command: COMMAND, interruptible: true }, async ({ cloud }) => {
      const project = cloud.project(name);
      const endpoint = resolveEndpointUrl(cloud, project);
      const answer = await postPrediction(endpoint.url, cloud.personaRoleArn('dataScientist'), body);
      if (raw) {
        if (answer.status !== 200) context.note(`the endpoint answered HTTP ${answer.status}`);
        context.print(answer.json === undefined ? `${answer.text}\n` : toJson(answer.json));
        return answer.status === 200 ? EXIT_CODES.ok : EXIT_CODES.failure;
      }
      if (answer.status !== 200) throw new Error(describeRefusal(name, answer));
      const parsed = PredictionAnswer.safeParse(answer.json);
      if (!parsed.success) throw new Error(`the endpoint answered 200 with a body this CLI does not understand (${parsed.error.issues[0]?.message ?? 'unknown shape'}): ${answer.text.slice(0, 300)}`);
      context.print(formatPredictions(name, parsed.data));
      return EXIT_CODES.ok;
    });
  },
};

/** The body from --json or --file, parsed enough to know it is a JSON object; the text itself is sent. */
export function requestBody(json: string | undefined, file: string | undefined, cwd: string): string {
  if (json !== undefined && file !== undefined) throw new UsageError('--json and --file cannot be used together: give the body once', COMMAND);
  if (json === undefined && file === undefined) throw new UsageError(`missing the request body: --json '{...}' or --file FILE (${SHAPES})`, COMMAND);
  const what = json !== undefined ? '--json' : `--file ${file}`;
  const text = json ?? readBodyFile(file!, cwd);
  if (text.trim() === '') throw new UsageError(`${what} is empty: send ${SHAPES}`, COMMAND);
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    // `lumina predict NAME --json` meant as "JSON output" swallows the next word: say what --json is here.
    const hint = json !== undefined && !/^\s*[[{]/.test(text) ? "\n(in lumina predict, --json takes the request body; --raw prints the endpoint's answer as JSON)" : '';
    throw new UsageError(`${describeJsonError(what, parsed)}${hint}`, COMMAND);
  }
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array (wrap records as {"records": [...]})' : `a ${typeof value}`;
    throw new UsageError(`${what} must be a JSON object, ${SHAPES}; got ${got}`, COMMAND);
  }
  return text;
}

function readBodyFile(file: string, cwd: string): string {
  const full = path.resolve(cwd, file);
  const where = file === full ? `'${full}'` : `'${file}' (${full})`;
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`--file ${where} does not exist`, COMMAND);
  if (!stat.isFile()) throw new UsageError(`--file ${where} is ${stat.isDirectory() ? 'a directory, not a file' : 'not a regular file'}`, COMMAND);
  try {
    return fs.readFileSync(full, 'utf8');
  } catch (error) {
    throw new UsageError(`--file ${where} cannot be read: ${(error as Error).message}`, COMMAND);
  }
}

export interface ServedEndpoint {
  readonly functionName: string;
  readonly url: string;
}

/**
 * The project's endpoint as this cloud serves it. The project's EndpointUrl output names it,
 * but the saved outputs come from the start that created the project and a function URL gets
 * a new port on every start; so the output is used only when this cloud serves it for the
 * project's stack, and otherwise the project stack's function URL is found by its name.
 */
export function resolveEndpointUrl(cloud: LocalCloudApi, project: ProjectInfo): ServedEndpoint {
  const own = cloud.listFunctionUrls().filter((u) => u.functionName.startsWith(`${project.stackName}-`));
  const saved = own.find((u) => u.url === project.outputs.EndpointUrl);
  if (saved) return saved;
  const candidates = own.length > 1 ? own.filter((u) => /predict/i.test(u.functionName)) : own;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) throw new Error(`project ${project.name} has no online endpoint served by the local cloud (no function URL of stack ${project.stackName})`);
  throw new Error(`project ${project.name} has several function URLs and none is its EndpointUrl output: ${candidates.map((u) => u.functionName).join(', ')}`);
}

export interface EndpointAnswer {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json?: unknown;
}

/** POSTs the body as the given principal (the local function URL reads it from x-lumina-principal). */
export async function postPrediction(url: string, principalArn: string, body: string): Promise<EndpointAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lumina-principal': principalArn }, body });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new Error(`could not reach the endpoint at ${url}: ${cause ?? (error as Error).message}`);
  }
  const text = await response.text();
  try {
    return { status: response.status, text, json: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, text };
  }
}

/** A non-200 answer as one message: the status, what to do, and every bad field. */
export function describeRefusal(project: string, answer: EndpointAnswer): string {
  const parsed = ErrorAnswer.safeParse(answer.json);
  const request = parsed.success && parsed.data.requestId ? `, request ${parsed.data.requestId}` : '';
  const fields = parsed.success ? parsed.data.errors.map((e) => `\n  ${e.path}: ${e.message}`).join('') : ` ${answer.text.slice(0, 500)}`;
  switch (answer.status) {
    case 400: {
      const count = parsed.success ? parsed.data.errors.length : 0;
      return `the endpoint refused the request (HTTP 400${request}): ${count} problem${count === 1 ? '' : 's'}${fields}`;
    }
    case 404:
      return `the endpoint found nothing to score (HTTP 404${request}):${fields}`;
    case 403:
      return `the endpoint refused the caller (HTTP 403): the function URL takes IAM-authorised callers only${fields}`;
    case 413:
      return `the request body is over the function URL's 6 MB limit (HTTP 413); send large inputs through batch inference (lumina data put ${project} FILE --inference)`;
    case 503:
      return `the endpoint has no model to serve yet (HTTP 503${request}):${fields}\nPromote a version first: lumina promote ${project} VERSION --stage production`;
    default:
      return `the endpoint answered HTTP ${answer.status}${request}:${fields}`;
  }
}

export function formatPredictions(project: string, answer: PredictionAnswer): string {
  const count = answer.predictions.length;
  const out = [`${project}: ${count} prediction${count === 1 ? '' : 's'} (request ${answer.requestId}, ${formatLatency(answer.latencyMs)})`];
  answer.predictions.forEach((p, index) => {
    out.push('');
    out.push(`Record ${index + 1}${p.entityId === undefined ? '' : ` (entity ${p.entityId})`}`);
    out.push(`  probability   ${p.probability.toFixed(4)}`);
    out.push(`  label         ${p.label} (confidence ${p.confidence.toFixed(3)})`);
    out.push(`  model         version ${p.modelVersion} (${p.variant})`);
    out.push(`  latency       ${formatLatency(p.latencyMs)}`);
    out.push(`  request id    ${p.requestId}`);
    if (p.riskFactors.length === 0) {
      out.push('  risk factors  none');
      return;
    }
    out.push('  top risk factors (contribution to the log-odds)');
    const table = formatTable(
      ['COLUMN', 'VALUE', 'CONTRIBUTION', 'EFFECT'],
      p.riskFactors.map((f) => [f.column, f.value === null ? '(missing)' : String(f.value), signed(f.contribution), `${f.direction} the risk`]),
    );
    out.push(table.trimEnd().replace(/^/gm, '    '));
  });
  return `${out.join('\n')}\n`;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
}

/** Sub-millisecond detail matters for a warm endpoint: 0.84 ms, 12.5 ms, then formatDuration's units. */
function formatLatency(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  return ms < 1000 ? `${ms.toFixed(1)} ms` : formatDuration(ms);
}
