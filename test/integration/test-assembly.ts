/**
 * The synthesized app a local-cloud integration test runs: the one test/global-setup.ts
 * synthesized for the whole run (LUMINA_CDK_OUT), or, when a file runs without it, its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../lib/app';

export function testAssembly(prefix: string): string {
  const shared = process.env.LUMINA_CDK_OUT;
  if (shared) return shared;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  buildApp({ outdir, nag: false }).app.synth();
  return outdir;
}

/** Removes an assembly testAssembly synthesized for this file; the shared one stays. */
export function releaseTestAssembly(dir: string | undefined): void {
  if (dir && dir !== process.env.LUMINA_CDK_OUT) fs.rmSync(dir, { recursive: true, force: true });
}
