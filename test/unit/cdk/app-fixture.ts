import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';

export interface SynthesizedApp {
  readonly outdir: string;
  readonly platform: Template;
  readonly product: Template;
  readonly project: Template;
  readonly productTemplateFile: string;
}

let cached: SynthesizedApp | undefined;

/**
 * Synthesizes the whole app once per test file (bundling every function takes seconds),
 * with cdk-nag on: synthesis throws on any unacknowledged finding.
 */
export function synthesizeApp(): SynthesizedApp {
  if (cached) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'luminaops-cdk-'));
  const { app, platform, project } = buildApp({ outdir, project: 'unit-test' });
  app.synth();
  const productTemplateFile = fs.readdirSync(outdir).find((f) => f.endsWith('.product.template.json'));
  if (!productTemplateFile) throw new Error(`no product template in ${outdir}`);
  cached = {
    outdir,
    platform: Template.fromStack(platform),
    product: Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, productTemplateFile), 'utf8'))),
    project: Template.fromStack(project!),
    productTemplateFile: path.join(outdir, productTemplateFile),
  };
  return cached;
}
