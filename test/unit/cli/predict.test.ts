/**
 * `lumina predict` over the fake local cloud, whose project endpoint is an HTTP server in this
 * test answering like the predict function: what the CLI sends (body, identity), how it prints
 * answers and refusals, and the body checks made before the cloud starts.
 */
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { resolveEndpointUrl } from '../../../local/cli/commands/predict';
import { firstErrorOffset, parseJsonText } from '../../../local/cli/json-input';
import { runCli } from '../../../local/cli/main';
import type { LocalCloudApi, ProjectInfo } from '../../../local/cloud-api';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

interface Received {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Server;
let endpointUrl: string;
const received: Received[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeTemporaryDirs();
});

const STACK = 'SC-000000000000-pp-adherence';

async function setup(options: { endpoint?: boolean } = {}) {
  received.length = 0;
  const cwd = temporaryDir();
  const state = new FakeCloudState();
  if (options.endpoint !== false) {
    state.functionUrls.push(
      { functionName: 'LuminaOps-RegistryApiFunction-ABCDEF123456', url: 'http://127.0.0.1:1/', authType: 'AWS_IAM' },
      { functionName: `${STACK}-ProjectEndpointPredict1A2B3C-9F8E7D6C5B4A`, url: endpointUrl, authType: 'AWS_IAM' },
    );
  }
  const recording = recordingIo({ cwd, state });
  await runCli(['project', 'create', 'adherence', '--target', 'y'], recording.io);
  let printed = recording.stdout().length;
  let errors = recording.stderr().length;
  return {
    cwd,
    state,
    run: async (argv: string[]) => {
      printed = recording.stdout().length;
      errors = recording.stderr().length;
      return runCli(argv, recording.io);
    },
    stdout: () => recording.stdout().slice(printed),
    stderr: () => recording.stderr().slice(errors),
  };
}

const prediction = (overrides: Record<string, unknown> = {}) => ({
  requestId: 'req-1',
  entityId: 'P0000042',
  probability: 0.73412,
  label: 1,
  confidence: 0.46824,
  riskFactors: [
    { column: 'hba1c', value: 9.2, contribution: 0.81234, direction: 'increases' },
    { column: 'brand', value: 'Metforal', contribution: -0.2, direction: 'decreases' },
    { column: 'copay', value: null, contribution: 0.01, direction: 'increases' },
  ],
  baseLogOdds: -1.2,
  modelVersion: 3,
  variant: 'champion',
  latencyMs: 2.345,
  ...overrides,
});

describe('lumina predict', () => {
  it('POSTs the --json body unchanged as the data-scientist persona and prints each prediction', async () => {
    const cli = await setup();
    answer = { status: 200, body: JSON.stringify({ requestId: 'req-1', latencyMs: 2.345, predictions: [prediction()] }) };
    const body = '{"patient_id": "P0000042", "hba1c": 9.2, "brand": "Metforal", "copay": null}';

    const code = await cli.run(['predict', 'adherence', '--json', body]);

    expect(code).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', body, headers: { 'content-type': 'application/json', 'x-lumina-principal': 'arn:aws:iam::000000000000:role/LuminaOps-Personas-dataScientist' } });
    expect(cli.stdout()).toBe(
      [
        'adherence: 1 prediction (request req-1, 2.35 ms)',
        '',
        'Record 1 (entity P0000042)',
        '  probability   0.7341',
        '  label         1 (confidence 0.468)',
        '  model         version 3 (champion)',
        '  latency       2.35 ms',
        '  request id    req-1',
        '  top risk factors (contribution to the log-odds)',
        '    COLUMN  VALUE      CONTRIBUTION  EFFECT',
        '    hba1c   9.2        +0.8123       increases the risk',
        '    brand   Metforal   -0.2000       decreases the risk',
        '    copay   (missing)  +0.0100       increases the risk',
        '',
      ].join('\n'),
    );
  });

  it('reads the body from --file and prints every record of a batch answer with its variant', async () => {
    const cli = await setup();
    const body = JSON.stringify({ records: [{ hba1c: 9.2 }, { hba1c: 6.1 }] }, null, 2);
    fs.writeFileSync(path.join(cli.cwd, 'records.json'), body);
    answer = {
      status: 200,
      body: JSON.stringify({ requestId: 'req-2', latencyMs: 12.5, predictions: [prediction({ requestId: 'req-2-0' }), prediction({ requestId: 'req-2-1', entityId: undefined, probability: 0.1, label: 0, modelVersion: 4, variant: 'challenger', riskFactors: [] })] }),
    };

    const code = await cli.run(['predict', 'adherence', '--file', 'records.json']);

    expect(code).toBe(0);
    expect(received[0].body).toBe(body);
    const out = cli.stdout();
    expect(out).toContain('adherence: 2 predictions (request req-2, 12.5 ms)');
    expect(out).toContain('Record 2\n  probability   0.1000\n  label         0 (confidence 0.468)\n  model         version 4 (challenger)');
    expect(out).toContain('  risk factors  none\n');
  });

  it('a 400 lists every bad field with its path and exits 1', async () => {
    const cli = await setup();
    answer = {
      status: 400,
      body: JSON.stringify({ requestId: 'req-3', errors: [{ path: 'hba1c', message: 'must be a number, got a string' }, { path: 'smoker', message: 'is not a column of the model' }] }),
    };

    const code = await cli.run(['predict', 'adherence', '--json', '{"hba1c": "high", "smoker": true}']);

    expect(code).toBe(1);
    expect(cli.stdout()).toBe('');
    expect(cli.stderr()).toContain('lumina: the endpoint refused the request (HTTP 400, request req-3): 2 problems\n  hba1c: must be a number, got a string\n  smoker: is not a column of the model\n');
  });

  it('a 503 says no model is served yet and how to promote one', async () => {
    const cli = await setup();
    answer = { status: 503, body: JSON.stringify({ requestId: 'req-4', errors: [{ path: '(model)', message: 'project adherence has no production model' }] }) };

    const code = await cli.run(['predict', 'adherence', '--json', '{"hba1c": 9}']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('the endpoint has no model to serve yet (HTTP 503, request req-4):\n  (model): project adherence has no production model\nPromote a version first: lumina promote adherence VERSION --stage production');
  });

  it('--raw prints the answer as JSON whatever its status; a refusal still exits 1', async () => {
    const cli = await setup();
    const refusal = { requestId: 'req-5', errors: [{ path: '(body)', message: 'the JSON object is empty' }] };
    answer = { status: 400, body: JSON.stringify(refusal) };

    const code = await cli.run(['predict', 'adherence', '--json', '{}', '--raw']);

    expect(code).toBe(1);
    expect(JSON.parse(cli.stdout())).toEqual(refusal);
    expect(cli.stderr()).toContain('the endpoint answered HTTP 400');

    const served = { requestId: 'req-6', latencyMs: 1, predictions: [prediction()] };
    answer = { status: 200, body: JSON.stringify(served) };
    expect(await cli.run(['predict', 'adherence', '--json', '{"hba1c": 9}', '--raw'])).toBe(0);
    expect(JSON.parse(cli.stdout())).toEqual(served);
  });

  it('a project without a served endpoint is a failure naming its stack', async () => {
    const cli = await setup({ endpoint: false });

    const code = await cli.run(['predict', 'adherence', '--json', '{"hba1c": 9}']);

    expect(code).toBe(1);
    expect(cli.stderr()).toContain(`lumina: project adherence has no online endpoint served by the local cloud (no function URL of stack ${STACK})`);
  });

  it.each([
    [['predict', 'adherence'], "missing the request body: --json '{...}' or --file FILE"],
    [['predict', 'adherence', '--json', '{}', '--file', 'x.json'], '--json and --file cannot be used together'],
    [['predict', 'adherence', '--json', '  '], '--json is empty'],
    [['predict', 'adherence', '--json', '[{"age": 1}]'], '--json must be a JSON object, a record of the model\'s columns, {"records": [...]}, or {"entityId": "..."}; got an array (wrap records as {"records": [...]})'],
    [['predict', 'adherence', '--json', '42'], 'got a number'],
    [['predict', 'adherence', '--json', '{"age": 61 "sex": "F"}'], '--json is not valid JSON: Expected \',\' or \'}\' after property value at line 1, column 12:\n  {"age": 61 "sex": "F"}\n             ^'],
    [['predict', 'adherence', '--json', '{"age": tru}'], "--json is not valid JSON: Unexpected token '}' at line 1, column 12:\n  {\"age\": tru}\n             ^"],
    [['predict', 'adherence', '--json', 'adherence'], "(in lumina predict, --json takes the request body; --raw prints the endpoint's answer as JSON)"],
    [['predict', 'adherence', '--file', 'nowhere.json'], "--file 'nowhere.json'"],
    [['predict', 'adherence', '--raw', 'extra'], "unexpected argument 'extra'"],
  ])('%j is a usage error before the cloud starts', async (argv, message) => {
    const cli = await setup();
    const starts = cli.state.starts.length;

    const code = await cli.run(argv);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(message);
    expect(cli.stderr()).toContain("Run 'lumina predict --help' for usage.");
    expect(cli.state.starts).toHaveLength(starts);
    expect(received).toHaveLength(0);
  });

  it('--file errors name the file: missing, a directory, invalid JSON with its line and column', async () => {
    const cli = await setup();
    fs.mkdirSync(path.join(cli.cwd, 'dir.json'));
    fs.writeFileSync(path.join(cli.cwd, 'bad.json'), '{\n  "age": 61,\n  "sex": F\n}\n');

    expect(await cli.run(['predict', 'adherence', '--file', 'missing.json'])).toBe(2);
    expect(cli.stderr()).toContain(`--file 'missing.json' (${path.join(cli.cwd, 'missing.json')}) does not exist`);
    expect(await cli.run(['predict', 'adherence', '--file', 'dir.json'])).toBe(2);
    expect(cli.stderr()).toContain('is a directory, not a file');
    expect(await cli.run(['predict', 'adherence', '--file', 'bad.json'])).toBe(2);
    expect(cli.stderr()).toContain("--file bad.json is not valid JSON: Unexpected token 'F' at line 3, column 10:\n    \"sex\": F\n           ^");
  });
});

describe('lumina predict --help', () => {
  it('lists --json once, as the request body, and --raw for the JSON answer', async () => {
    const cli = await setup();

    expect(await cli.run(['predict', '--help'])).toBe(0);

    expect(cli.stdout().match(/^ {2}--json\b.*$/gm)).toEqual([expect.stringMatching(/^ {2}--json BODY {2}the request body as JSON text/)]);
    expect(cli.stdout()).toMatch(/^ {2}--raw +print the endpoint's JSON answer unchanged$/m);
  });
});

describe('resolveEndpointUrl', () => {
  const project: ProjectInfo = { name: 'adherence', stackName: STACK, parameters: {}, outputs: { EndpointUrl: 'http://127.0.0.1:4000/' }, createdAt: '2026-01-01T00:00:00Z' };
  const cloudWith = (urls: { functionName: string; url: string }[]): LocalCloudApi => ({ listFunctionUrls: () => urls.map((u) => ({ ...u, authType: 'AWS_IAM' as const })) }) as unknown as LocalCloudApi;

  it("uses the EndpointUrl output when this cloud serves it for the project's stack", () => {
    const cloud = cloudWith([
      { functionName: `${STACK}-Other-1`, url: 'http://127.0.0.1:4001/' },
      { functionName: `${STACK}-Predict-2`, url: 'http://127.0.0.1:4000/' },
    ]);
    expect(resolveEndpointUrl(cloud, project).url).toBe('http://127.0.0.1:4000/');
  });

  it('finds the served URL by function name when the saved output is from an earlier start', () => {
    const cloud = cloudWith([
      { functionName: 'LuminaOps-RegistryApi-1', url: 'http://127.0.0.1:4000/' },
      { functionName: `${STACK}-EndpointPredict-2`, url: 'http://127.0.0.1:5002/' },
      { functionName: `${STACK}-Webhook-3`, url: 'http://127.0.0.1:5003/' },
      { functionName: 'SC-000000000000-pp-adherence2-EndpointPredict-4', url: 'http://127.0.0.1:5004/' },
    ]);
    expect(resolveEndpointUrl(cloud, project).url).toBe('http://127.0.0.1:5002/');
  });

  it('refuses to guess between several function URLs of the stack', () => {
    const cloud = cloudWith([
      { functionName: `${STACK}-PredictA-1`, url: 'http://127.0.0.1:5001/' },
      { functionName: `${STACK}-PredictB-2`, url: 'http://127.0.0.1:5002/' },
    ]);
    expect(() => resolveEndpointUrl(cloud, project)).toThrow('project adherence has several function URLs and none is its EndpointUrl output');
  });
});

describe('parseJsonText', () => {
  it.each([
    ['{x}', 1],
    ['{"a": 1 "b": 2}', 8],
    ['{"a": 1,}', 8],
    ['{"a": tru}', 9],
    ['{"a": 1}}', 8],
    ['{"a": 01}', 7],
    ['{"a": "x\ty"}', 8],
    ['{"a": "\\q"}', 8],
    ['[1, 2', 5],
    ['{"a": -}', 7],
    ['{"a": 1.}', 8],
  ])('%j fails at offset %d, the first character JSON cannot have there', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(firstErrorOffset(text)).toBe(offset);
    const parsed = parseJsonText(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.offset).toBe(offset);
  });

  it.each(['{}', '{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]}', ' \n{"nested": {"deep": [[]]}}\n '])('accepts valid JSON %j', (text) => {
    expect(firstErrorOffset(text)).toBeUndefined();
    expect(parseJsonText(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('counts lines and columns from the offset and cuts long lines around the caret', () => {
    const long = `{"a": "${'x'.repeat(100)}" "c": 1}`;
    const parsed = parseJsonText(`\n\n${long}`);
    if (parsed.ok) throw new Error('expected a failure');
    expect(parsed).toMatchObject({ line: 3, column: 110 });
    const [excerpt, caret] = parsed.excerpt;
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt[caret.length - 1]).toBe('"');
  });
});
