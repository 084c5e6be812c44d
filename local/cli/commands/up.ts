/** `lumina up`: the local cloud in the foreground until Ctrl-C. */
import * as path from 'node:path';
import type { LocalCloudApi, ProjectInfo } from '../../cloud-api';
import { type ReportServer, startReportServer } from '../../report/report-server';
import { withLocalCloud } from '../cloud-session';
import type { CliContext, CommandSpec } from '../command';
import { formatFields, toJson } from '../output';
import type { StateLockRecord } from '../state-lock';

export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'Start the local cloud in the foreground and keep it up until Ctrl-C',
  synopsis: 'up [flags]',
  description: [
    'Synthesizes the CDK app, boots the emulators on the state directory, deploys the platform stack and re-provisions the ML projects created before, then prints the endpoints and stays up until Ctrl-C (SIGINT) or SIGTERM, when it stops cleanly.',
    'It also serves the project reports (what lumina report writes) on 127.0.0.1 at the printed URL, each generated when it is opened, into <state-dir>/reports/.',
    'While it is up, <state-dir>/lumina-up.json holds its pid and endpoints, and other lumina commands on the same state directory refuse to start (the DynamoDB emulator keeps its tables in a single-process LevelDB). Point AWS SDKs or the AWS CLI at the printed endpoints instead.',
  ],
  positionals: [],
  flags: [],
  examples: ['lumina up --state-dir ~/lumina-state'],
  run: async (_args, context) => {
    const code = await withLocalCloud(context, { command: 'up', interruptible: false }, async ({ cloud, lock, stopRequested }) => {
      lock.setEndpoints(cloud.endpoints);
      // Project reports, generated when opened (<state-dir>/reports/); the cloud stays up without them.
      const reports: ReportServer | undefined = await startReportServer(cloud, { dir: path.join(cloud.stateDir, 'reports'), log: context.note }).catch((error: unknown) => {
        context.note(`project reports are not served: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      });
      try {
        await printUp(context, cloud, lock.record, reports?.url);
        const signal = await stopRequested;
        context.note(`${signal}: stopping the local cloud`);
        return 0;
      } finally {
        await reports?.close();
      }
    });
    context.note('local cloud stopped');
    return code;
  },
};

async function printUp(context: CliContext, cloud: LocalCloudApi, lock: StateLockRecord, reportsUrl?: string): Promise<void> {
  const projects = cloud.listProjects();
  const credentials = await cloud.s3.config.credentials();
  if (context.json) {
    context.print(
      toJson({
        pid: lock.pid,
        startedAt: lock.startedAt,
        stateDir: cloud.stateDir,
        endpoints: cloud.endpoints,
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
        artifactBucket: cloud.artifactBucket,
        functionUrls: cloud.listFunctionUrls(),
        projects,
      }),
    );
    if (reportsUrl) context.note(`Project reports: ${reportsUrl}`);
    context.note('Stop it with Ctrl-C.');
    return;
  }
  context.print(
    [
      `LuminaOps local cloud is up (pid ${lock.pid})`,
      formatFields([
        ['state dir', cloud.stateDir],
        ['region', cloud.endpoints.region],
        ['S3', `${cloud.endpoints.s3} (path-style)`],
        ['DynamoDB', cloud.endpoints.dynamodb],
        ['CloudWatch', `${cloud.endpoints.cloudwatch} (AWS_ENDPOINT_URL_CLOUDWATCH)`],
        ['credentials', `${credentials.accessKeyId} / ${credentials.secretAccessKey}`],
        ['artifact bucket', cloud.artifactBucket],
        ...cloud.listFunctionUrls().map((u): [string, string] => ['function URL', `${u.url} -> ${u.functionName} (${u.authType === 'AWS_IAM' ? 'AWS_IAM: SigV4 or an x-lumina-principal header' : 'no auth'})`]),
        ['projects', projectsLine(projects)],
        ...(reportsUrl ? ([['reports', `${reportsUrl} (project reports, generated when opened)`]] as [string, string][]) : []),
      ]).trimEnd(),
      'Stop it with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

function projectsLine(projects: readonly ProjectInfo[]): string {
  if (projects.length === 0) return "none yet (stop the cloud and run 'lumina project create NAME --target COL')";
  return projects.map((p) => `${p.name} (${p.stackName})`).join(', ');
}
