import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CloudFormationTemplate } from '../template/resolver';

/** A stack template in a cloud assembly (`cdk.out`). */
export interface AssemblyStack {
  readonly name: string;
  readonly templateFile: string;
  readonly template: CloudFormationTemplate;
}

/** Raised when `cdk.out` is missing, incomplete or not what `cdk synth` writes. */
export class CloudAssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudAssemblyError';
  }
}

interface Manifest {
  readonly artifacts?: Record<string, { readonly type: string; readonly properties?: { readonly templateFile?: string } }>;
}

/** Reads what `cdk synth` wrote: stack templates, Service Catalog product templates and asset folders. */
export class CloudAssembly {
  constructor(readonly directory: string) {
    if (!fs.existsSync(path.join(directory, 'manifest.json'))) {
      throw new CloudAssemblyError(`${directory}: no manifest.json; run the synth first (npx cdk synth, or lumina synth)`);
    }
  }

  stacks(): AssemblyStack[] {
    const manifest = JSON.parse(fs.readFileSync(path.join(this.directory, 'manifest.json'), 'utf8')) as Manifest;
    return Object.entries(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
      .map(([name, artifact]) => {
        const templateFile = path.join(this.directory, artifact.properties?.templateFile ?? `${name}.template.json`);
        return { name, templateFile, template: readTemplate(templateFile) };
      });
  }

  stack(name: string): AssemblyStack {
    const found = this.stacks().find((s) => s.name === name);
    if (!found) throw new CloudAssemblyError(`${this.directory}: no stack named ${name} (have: ${this.stacks().map((s) => s.name).join(', ')})`);
    return found;
  }

  /**
   * The template a Service Catalog product version points at. CDK publishes product
   * templates as `<hash>.json` assets and writes them as `<id>.product.template.json`; the
   * product's LoadTemplateFromURL ends with that hash.
   */
  productTemplate(templateUrl: string): CloudFormationTemplate {
    const hash = /([0-9a-f]{64})\.json$/.exec(templateUrl)?.[1];
    if (!hash) throw new CloudAssemblyError(`product template URL ${templateUrl} does not name a CDK asset`);
    const assets = fs.readdirSync(this.directory).filter((f) => f.endsWith('.assets.json'));
    for (const file of assets) {
      const manifest = JSON.parse(fs.readFileSync(path.join(this.directory, file), 'utf8')) as { files?: Record<string, { source: { path: string } }> };
      const entry = manifest.files?.[hash];
      if (entry) return readTemplate(path.join(this.directory, entry.source.path));
    }
    throw new CloudAssemblyError(`${this.directory}: no asset ${hash} for product template ${templateUrl}`);
  }

  /** The folder holding a Lambda bundle, from the function's Code.S3Key or its asset metadata. */
  lambdaAssetDir(code: { S3Key?: unknown }, metadata?: Record<string, unknown>): string {
    const assetPath = metadata?.['aws:asset:path'];
    const dir =
      typeof assetPath === 'string'
        ? path.join(this.directory, assetPath)
        : typeof code.S3Key === 'string'
          ? path.join(this.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`)
          : undefined;
    if (!dir || !fs.existsSync(dir)) {
      throw new CloudAssemblyError(`Lambda code ${JSON.stringify(code)} has no bundle folder in ${this.directory}`);
    }
    return dir;
  }
}

function readTemplate(file: string): CloudFormationTemplate {
  if (!fs.existsSync(file)) throw new CloudAssemblyError(`${file}: template missing`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CloudFormationTemplate;
}
