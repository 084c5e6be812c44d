/**
 * Synthesizes the app once for the whole test run: every local-cloud integration test file
 * would otherwise synthesize and bundle it again (15-30 s each on 2 cores). The assembly is
 * read-only for the local cloud (LocalCloudOptions.cdkOut, here via LUMINA_CDK_OUT, which the
 * workers inherit). Set LUMINA_CDK_OUT yourself to reuse an assembly across runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../lib/app';

export default function globalSetup(): void {
  if (process.env.LUMINA_CDK_OUT) return;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lumina-test-cdk-out-'));
  buildApp({ outdir, nag: false }).app.synth();
  process.env.LUMINA_CDK_OUT = outdir;
  process.env.LUMINA_CDK_OUT_OWNED = '1';
}
