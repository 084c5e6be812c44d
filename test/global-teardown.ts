/** Removes the assembly global-setup.ts synthesized (not one the caller named). */
import * as fs from 'node:fs';

export default function globalTeardown(): void {
  if (process.env.LUMINA_CDK_OUT_OWNED === '1' && process.env.LUMINA_CDK_OUT) fs.rmSync(process.env.LUMINA_CDK_OUT, { recursive: true, force: true });
}
