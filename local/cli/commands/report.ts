/** `lumina report NAME`: the project's static HTML report (registry, runs, drift, performance). */
import * as path from 'node:path';
import { writeProjectReport } from '../../report/project-report';
import { UsageError } from '../args';
import { withLocalCloud } from '../cloud-session';
import { type CommandSpec, EXIT_CODES } from '../command';
import { formatFields, toJson } from '../output';
import { checkProjectName } from '../project-settings';

const COMMAND = 'report';

export const reportCommand: CommandSpec = {
  name: COMMAND,
  summary: "Write a project's static HTML report: registry, pipeline runs, drift per batch, performance over time",
  synopsis: 'report NAME [--out DIR] [flags]',
  description: [
    "Writes DIR/index.html, one self-contained page (inline CSS and SVG charts, no scripts): the model registry (versions, stages, metrics, stage history), the pipeline runs, the drift score and drifted features of every monitored inference batch, and the performance over time once ground truth was uploaded with 'lumina labels put'. Each batch's own drift report is copied to DIR/drift/ and linked; DIR/report.json holds the same data.",
    'Prints the path of index.html. --json prints { htmlPath, jsonPath, batchReportPaths, summary }. While `lumina up` runs, the same report is served live on the URL it prints.',
  ],
  positionals: [{ name: 'NAME', description: 'the project' }],
  flags: [{ name: 'out', type: 'string', value: 'DIR', description: 'where to write the report', defaultText: './lumina-report/NAME' }],
  examples: ['lumina report adherence', 'lumina report adherence --out /tmp/adherence-report'],
  run: async (args, context) => {
    const name = checkProjectName(args.positionals.NAME, COMMAND);
    const out = args.string('out');
    if (out !== undefined && out.trim() === '') throw new UsageError('--out needs a directory (got an empty value)', COMMAND);
    const outDir = path.resolve(context.io.cwd, out ?? path.join('lumina-report', name));
    return withLocalCloud(context, { command: COMMAND, interruptible: true }, async ({ cloud }) => {
      const report = await writeProjectReport(cloud, name, outDir);
      const s = report.summary;
      if (context.json) {
        context.print(toJson({ htmlPath: report.htmlPath, jsonPath: report.jsonPath, batchReportPaths: report.batchReportPaths, summary: s }));
        return EXIT_CODES.ok;
      }
      context.print(
        `${report.htmlPath}\n${formatFields([
          ['models', `${s.versions} version${s.versions === 1 ? '' : 's'}, production ${s.production === null ? 'none' : `v${s.production}`}, staging ${s.staging === null ? 'none' : `v${s.staging}`}`],
          ['runs', `${s.runs}${s.failedRuns > 0 ? ` (${s.failedRuns} failed)` : ''}`],
          ['batches', `${s.monitoredBatches} monitored, ${s.driftedBatches} drifted${s.latestDriftScore === null ? '' : `, latest drift score ${s.latestDriftScore.toFixed(4)}`}`],
          ['ground truth', s.labelledOutcomes === 0 ? 'none yet' : `${s.labelledOutcomes} joined outcomes${s.latestAuc === null ? '' : `, latest AUC ${s.latestAuc.toFixed(3)}`}`],
        ])}`,
      );
      return EXIT_CODES.ok;
    });
  },
};
