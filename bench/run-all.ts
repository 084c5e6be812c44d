/**
 * `npm run bench`: runs every benchmark script in turn (each in its own process, so one
 * script's heap and threads do not disturb the next), streams its output, and ends with a
 * summary: one line per script with its final JSON figures. Benchmarks print figures and
 * never fail on a slow machine; this exits non-zero only when a script itself crashes.
 *
 * Run: npm run bench [-- NAME ...]   (NAME = a script below without .ts, e.g. `train`)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** In the order a reader meets them in the README. Missing scripts are reported, not skipped silently. */
const BENCHMARKS = ['host-reference', 'train', 'onnx-scoring', 'treeshap', 'predict-handler', 'endpoint-cold-start', 'endpoint-load', 'batch-pipeline', 'drift-monitor', 'feature-lookup'] as const;

interface Outcome {
  readonly name: string;
  readonly status: 'ok' | 'crashed' | 'missing';
  readonly seconds: number;
  readonly figures?: unknown;
}

function runScript(name: string): Promise<Outcome> {
  const file = join(__dirname, `${name}.ts`);
  if (!existsSync(file)) return Promise.resolve({ name, status: 'missing', seconds: 0 });
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lastJson: unknown;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          lastJson = JSON.parse(line);
        } catch {
          // a figure line that merely starts with a brace; keep the last parseable one
        }
      }
    });
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      resolve({ name, status: code === 0 ? 'ok' : 'crashed', seconds, figures: lastJson });
    });
  });
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const names = asked.length > 0 ? asked : [...BENCHMARKS];
  const outcomes: Outcome[] = [];
  for (const name of names) {
    console.log(`\n=== bench/${name}.ts ===`);
    outcomes.push(await runScript(name));
  }
  console.log('\n=== summary ===');
  for (const outcome of outcomes) {
    const figures = outcome.figures === undefined ? '' : ` ${JSON.stringify(outcome.figures)}`;
    console.log(`${outcome.name}: ${outcome.status} in ${outcome.seconds.toFixed(1)} s${figures}`);
  }
  if (outcomes.some((o) => o.status === 'crashed')) process.exitCode = 1;
}

void main();
