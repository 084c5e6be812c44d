/**
 * `npm start`: the medication non-adherence demo on the local cloud (local/demo/run-demo.ts).
 * Flags: --patients N, --batch-patients N, --out DIR (default ./lumina-demo), --state DIR.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runDemo } from './run-demo';

function positiveInteger(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]{0,6}$/.test(text)) throw new Error(`--${flag} must be a whole number from 1 to 9999999 (got '${text}')`);
  return Number(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { patients: { type: 'string' }, 'batch-patients': { type: 'string' }, out: { type: 'string' }, state: { type: 'string' } },
    strict: true,
  });
  const outDir = path.resolve(values.out ?? 'lumina-demo');
  const tty = process.stdout.isTTY === true;
  const summary = await runDemo({
    patients: positiveInteger(values.patients, 'patients', 5000),
    batchPatients: positiveInteger(values['batch-patients'], 'batch-patients', 3000),
    outDir,
    ...(values.state ? { stateDir: path.resolve(values.state) } : {}),
    log: (line) => console.log(line),
    ...(tty ? { progress: (line: string) => process.stdout.write(`\r\x1b[2K${line}`) } : {}),
  });
  console.log('');
  console.log(`LuminaOps demo ${summary.ok ? 'completed' : 'FAILED a check'} in ${summary.totalSeconds.toFixed(1)} s`);
  console.log(`  champion v${summary.champion.version}: AUC ${summary.champion.metrics.auc?.toFixed(3) ?? 'n/a'}; brand effects ${summary.brandEffects.recovered ? 'recovered in the true order' : 'NOT recovered'} (${summary.brandEffects.recoveredOrder.join(' > ')})`);
  console.log(`  drift: ${summary.batches.drifted.driftedFeatures.join(', ') || 'none'} → alarm ${summary.batches.drifted.alarm} → retraining ${summary.retraining.status}, challenger ${summary.retraining.decision}`);
  console.log(`  summary: ${summary.files.summary}`);
  if (summary.files.report) console.log(`  report:  ${summary.files.report}`);
  if (!summary.ok) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(`\nlumina demo: ${error.message}`);
  process.exitCode = 1;
});
