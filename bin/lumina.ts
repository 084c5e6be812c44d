/**
 * The `lumina` CLI entry. The local cloud (and with it the CDK app, about a second to load)
 * is required only when a command starts it, so `lumina --help` answers at once.
 */
import { runCli } from '../local/cli/main';
import { processLineInput } from '../local/cli/line-input';

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stdin: processLineInput(),
  startCloud: (options) => (require('../local/cloud') as typeof import('../local/cloud')).startLocalCloud(options),
}).then((code) => {
  process.exitCode = code;
});
