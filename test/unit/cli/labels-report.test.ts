import * as fs from 'node:fs';
import * as path from 'node:path';
import { windowFrom, formatLabelsOutcome } from '../../../local/cli/commands/labels';
import { runCli } from '../../../local/cli/main';
import { startReportServer } from '../../../local/report/report-server';
import { latestOverallFigures, summarisePerformance } from '../../../lambdas/core/performance/performance-summary';
import { FakeCloudState, recordingIo, removeTemporaryDirs, temporaryDir } from './fake-local-cloud';

afterAll(removeTemporaryDirs);

function setup() {
  const cwd = temporaryDir();
  const state = new FakeCloudState();
  return { cwd, state, ...recordingIo({ cwd, state }) };
}

describe('lumina labels put: checks before the cloud starts', () => {
  it.each([
    [['labels', 'put', 'adherence', 'missing.csv'], /FILE 'missing.csv' \(.*missing\.csv\) does not exist/],
    [['labels', 'put', 'adherence', 'empty.csv'], /FILE 'empty.csv' \(.*\) is empty/],
    [['labels', 'put', 'adherence', 'labels.csv', '--window', 'fortnight'], /--window must be a duration from 1m to 366d, like 30m, 6h or 7d \(got 'fortnight'\)/],
    [['labels', 'put', 'adherence', 'labels.csv', '--threshold', '1.5'], /--threshold must be a probability between 0 and 1, exclusive \(got '1.5'\)/],
    [['labels', 'put', 'Bad_Name', 'labels.csv'], /NAME 'Bad_Name' is not a valid project name/],
  ])('%j is a usage error', async (argv, message) => {
    // Prepare
    const cli = setup();
    fs.writeFileSync(path.join(cli.cwd, 'empty.csv'), '');
    fs.writeFileSync(path.join(cli.cwd, 'labels.csv'), 'request_id,outcome\nr1,1\n');

    // Act
    const code = await runCli(argv, cli.io);

    // Assess
    expect(code).toBe(2);
    expect(cli.stderr()).toMatch(message);
    expect(cli.stderr()).toContain("Run 'lumina labels put --help' for usage.");
    expect(cli.state.starts).toHaveLength(0);
  });

  it('is listed in the help with its columns explained', async () => {
    const cli = setup();
    expect(await runCli(['help', 'labels', 'put'], cli.io)).toBe(0);
    expect(cli.stdout()).toContain('lumina labels put NAME FILE [--window DURATION] [--threshold P] [flags]');
    expect(cli.stdout()).toContain('request_id');
    expect(await runCli(['--help'], cli.io)).toBe(0);
    expect(cli.stdout()).toMatch(/labels put\s+Upload ground truth/);
    expect(cli.stdout()).toMatch(/report\s+Write a project's static HTML report/);
  });
});

describe('windowFrom', () => {
  it.each([
    [undefined, 86_400_000],
    ['7d', 7 * 86_400_000],
    ['6h', 6 * 3_600_000],
    ['30m', 1_800_000],
    ['2', 2 * 86_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(windowFrom(text)).toBe(ms);
  });

  it.each(['0m', '30s', '400d', '-1d', ''])('refuses %j', (text) => {
    expect(() => windowFrom(text)).toThrow('--window must be a duration');
  });
});

describe('formatLabelsOutcome', () => {
  it('lists every problem kept of a refused file with where it is kept', () => {
    const text = formatLabelsOutcome(
      { accepted: false, upload: 'u1', sourceKey: 'projects/a/labels/inbox/u1-x.csv', rejectedKey: 'projects/a/labels/rejected/u1.json', problemCount: 3, problems: [{ line: 2, column: 'outcome', value: 'maybe', message: 'not an outcome' }, { line: 5, message: '3 fields, the header has 2' }] },
      'bucket',
    );
    expect(text).toBe(
      [
        'Refused u1: 3 problems in the file (kept at s3://bucket/projects/a/labels/inbox/u1-x.csv; report s3://bucket/projects/a/labels/rejected/u1.json)',
        '  line 2, column outcome ("maybe"): not an outcome',
        '  line 5: 3 fields, the header has 2',
        '  … and 1 more',
        '',
      ].join('\n'),
    );
  });

  it('summarises the join and the performance per version and variant', () => {
    const joined = [0.9, 0.1, 0.7].map((probability, i) => ({ prediction: { requestId: `r${i}`, modelVersion: 2, variant: 'champion', probability, at: '2026-03-02T10:00:00.000Z' }, outcome: (i === 1 ? 0 : 1) as 0 | 1, joinedBy: 'request' as const }));
    const performance = summarisePerformance(joined, { project: 'a', now: new Date('2026-03-03T00:00:00.000Z'), uploads: ['u1'], outcomes: 4 });
    const text = formatLabelsOutcome(
      {
        accepted: true,
        upload: 'u1',
        sourceKey: 'in.csv',
        acceptedKey: 'acc.json',
        performanceKey: 'projects/a/performance/performance.json',
        historyKey: 'h.json',
        columns: { requestId: 'request_id', outcome: 'outcome' },
        rows: 4,
        positives: 2,
        joined: { total: 3, byRequest: 3, byEntity: 0 },
        unmatched: [{ line: 5, reason: 'no prediction with request id r9' }],
        predictions: { read: 10, endpoint: 10, batch: 0, skipped: 0, skippedExamples: [] },
        latest: latestOverallFigures(performance, joined),
        performance,
        metrics: { namespace: 'LuminaOps/ModelPerformance', datums: 12, requests: 1 },
      },
      'bucket',
    );
    expect(text).toContain('Accepted 4 outcomes (2 positive) from s3://bucket/in.csv (requestId=request_id, outcome=outcome)');
    expect(text).toContain('Joined 3 of 4 (3 by request id, 0 by entity id); 1 unmatched\n  line 5: no prediction with request id r9');
    expect(text).toMatch(/VERSION\s+VARIANT\s+N\s+POSITIVE\s+AUC\s+ACCURACY\s+ECE\s+PREDICTIONS\n2\s+all\s+3\s+2\s+1\.000\s+1\.000/);
    expect(text).toContain('published 12 metric values to LuminaOps/ModelPerformance in 1 request');
  });
});

describe('lumina report: checks before the cloud starts', () => {
  it('an empty --out is a usage error', async () => {
    const cli = setup();
    expect(await runCli(['report', 'adherence', '--out', ''], cli.io)).toBe(2);
    expect(cli.stderr()).toContain('lumina: --out needs a directory (got an empty value)');
    expect(cli.state.starts).toHaveLength(0);
  });
});

describe('the report server of lumina up', () => {
  it('lists the projects, refuses other methods, unknown projects and paths out of the report folder', async () => {
    // Prepare
    const cli = setup();
    await runCli(['project', 'create', 'adherence', '--target', 'y'], cli.io);
    const cloud = await cli.state.startCloud({ stateDir: path.join(cli.cwd, '.lumina') });
    const server = await startReportServer(cloud, { dir: path.join(cli.cwd, 'reports') });
    try {
      // Act
      const index = await fetch(server.url);
      const post = await fetch(server.url, { method: 'POST' });
      const unknown = await fetch(`${server.url}nope/`);
      const redirect = await fetch(`${server.url}adherence`, { redirect: 'manual' });
      const escape = await fetch(`${server.url}adherence/..%2F..%2Fetc%2Fpasswd`);

      // Assess
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
      expect(await index.text()).toContain('<a href="/adherence/">adherence</a>');
      expect(post.status).toBe(405);
      expect(unknown.status).toBe(404);
      expect(redirect.status).toBe(301);
      expect(redirect.headers.get('location')).toBe('/adherence/');
      expect(escape.status).toBe(404);
    } finally {
      await server.close();
      await cloud.stop();
    }
  });

  it('lumina up prints the reports URL and serves it until it stops', async () => {
    const cwd = temporaryDir();
    const state = new FakeCloudState();
    let served: Promise<number> | undefined;
    const recording = recordingIo({
      cwd,
      state,
      onWrite: (_stream, text) => {
        const url = /reports\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
        if (!url) return;
        served = fetch(url).then((r) => r.status);
        void served.finally(() => recording.requestStop('SIGINT'));
      },
    });

    const code = await runCli(['up'], recording.io);

    expect(code).toBe(0);
    expect(recording.stdout()).toMatch(/ {2}reports {10}http:\/\/127\.0\.0\.1:\d+\/ \(project reports, generated when opened\)\n/);
    expect(await served).toBe(200);
    const url = /reports\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(recording.stdout())![1];
    await expect(fetch(url)).rejects.toThrow();
  });
});
